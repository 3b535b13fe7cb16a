"""The Scrapy project: discovery of news posts on the four sites. Knows Scrapy, not SQLite."""
