"""Everything after the HTTP response: extraction, normalization, storage and the CLI.

Knows SQLite and HTML, not Scrapy: spiders hand over plain dicts (see crawlers/items.py).
"""

__version__ = "0.1.0"
