"""BIPM: the Liferay Asset Publisher listings (English and French) and the pre-2021 news hub.

* www.bipm.org/{en,fr}/news-detail (pages: ..._cur=N, 1-based) -> /{en,fr}/-/<YYYY-MM-DD-slug>
* www.bipm.org/en/news/ (old JSP site, ISO-8859-1) -> /en/news/full-stories/YYYY-MM-<slug>.html

Host variants (bipm.org, www.bipm.org., /web/guest/) are canonicalized before requesting.
"""

from crawlers.spiders.base import NewsSpider


class BipmSpider(NewsSpider):
    name = "bipm"
    allowed_domains = ["www.bipm.org"]
    start_urls = [
        "https://www.bipm.org/en/news-detail",
        "https://www.bipm.org/fr/news-detail",
        # The old site; gone from the live site, kept for mirrors that have it.
        "https://www.bipm.org/en/news/",
    ]
    archive_urls = ("https://www.bipm.org/en/news/",)  # no longer published to
    # Liferay publishes /sitemap.xml [INF]; robots.txt names it when the site declares it.
    sitemap_urls = ("https://www.bipm.org/robots.txt",)
    article_links_css = ".asset-abstract .asset-title a::attr(href), li.news-item > a::attr(href)"
    # The disabled "Next" of the last page has href="javascript:;".
    next_page_css = ".lfr-pagination-buttons li:not(.disabled) a.next::attr(href)"
