"""Spiders made from the registry: one for every source that has no spider module of its own.

Such a source is data only (its entry in pipeline/normalize/sources.py or in a file named by
STDNEWS_SOURCES): the spider starts at its news page, stays on its hosts, and finds article
links by generic discovery (crawlers/discovery.py: every link of the page to an article URL of
the source, advertised feeds, any theme's pagination). A source whose site needs more (an API,
selectors, archives) gets a module here with a NewsSpider subclass whose `name` attribute is the
source id (written_spiders reads it; the class's own name does not matter): that spider wins over a
generated one.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from scrapy.utils.spider import iter_spider_classes

from crawlers import spiders
from crawlers.spiders.base import NewsSpider
from pipeline.normalize.sources import SOURCES, Source

SHARED = ("base", __name__.rsplit(".", 1)[-1])  # modules of this package that are no source's


def written_spiders() -> set[str]:
    """Names of the spiders of this package's other modules (those written by hand)."""
    names = set()
    for module in pkgutil.iter_modules(spiders.__path__):
        if module.name not in SHARED:
            loaded = importlib.import_module(f"{spiders.__name__}.{module.name}")
            names.update(cls.name for cls in iter_spider_classes(loaded))
    return names


def spider_for(source: Source) -> type[NewsSpider]:
    """A NewsSpider of class attributes only, from the source's registry entry."""
    attributes = {
        "__module__": __name__,
        "__doc__": f"{source.name}: generic discovery from {source.news_url}.",
        "name": source.id,
        "allowed_domains": list(source.hosts),
        "start_urls": [source.news_url],
    }
    return type(re.sub(r"\W", "_", source.id.title()) + "Spider", (NewsSpider,), attributes)


def generated_spiders() -> dict[str, type[NewsSpider]]:
    """Class name -> spider, for every source without a written spider."""
    written = written_spiders()
    made = [spider_for(s) for s in SOURCES.values() if s.id not in written]
    return {cls.__name__: cls for cls in made}


# Module attributes, so that Scrapy's spider loader finds them as it finds written spiders.
globals().update(generated_spiders())
