"""Everything after the HTTP response, in layers that import one way (tests/test_layers.py):

- `normalize`: a fetched page -> a `Post` (pure: no SQLite, no Scrapy);
- `store`: SQLite, the only layer that touches it (posts, crawls, indexes, dumps, lock, status);
- `site`: the analysts' Datasette, reading the store;
- `cli`: the `stdnews` command, on top of the crawl (`crawlers/`) and the site.

`paths` and `verdicts` (exit statuses, a run's answer) are leaves every layer uses.
"""

__version__ = "0.1.0"
