"""IEC: the Drupal "News & blogs" listing, and the two sites before it.

* www.iec.ch/news-blogs (Drupal view, ?page=N, 0-based) -> /blog/<slug>
* blog.iec.ch (WordPress, until 2020-21): its feed and /page/N/ listing -> /YYYY/MM/<slug>/
* www.iec.ch/newslog/ (the old site's news releases) -> /newslog/YYYY/nrNNYY.htm
"""

from crawlers.spiders.base import NewsSpider


class IecSpider(NewsSpider):
    name = "iec"
    allowed_domains = ["www.iec.ch", "blog.iec.ch"]
    start_urls = [
        # Inferred: article pages link their "News & blogs" breadcrumb here.
        "https://www.iec.ch/news-blogs",
        "https://blog.iec.ch/feed/",
        "https://blog.iec.ch/",
        "https://www.iec.ch/newslog/",
    ]
    archive_urls = (
        "https://blog.iec.ch/feed/",
        "https://blog.iec.ch/",
        "https://www.iec.ch/newslog/",
    )  # no longer published to
    # Drupal sites declare their sitemap (simple_sitemap) in robots.txt [INF].
    sitemap_urls = ("https://www.iec.ch/robots.txt",)
    article_links_css = ", ".join(
        [
            ".view-content article .node__title a::attr(href)",  # Drupal view
            "article h2.entry-title a::attr(href)",  # WordPress listing
            ".newslog-index a::attr(href)",  # old site's release index
        ]
    )
    next_page_css = "nav.pager a[rel=next]::attr(href), a.next.page-numbers::attr(href)"
