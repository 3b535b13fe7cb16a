"""The Scrapy project: discovery and fetching of news posts on the sources' sites.

Knows Scrapy and HTTP. What a response becomes is normalization's business (pipeline.normalize);
where it is kept is the store's (pipeline.store): the item pipeline hands pages to one and posts
to the other, and never writes SQL itself.
"""
