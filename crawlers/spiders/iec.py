"""IEC news & blogs: www.iec.ch (Drupal), listing /news-blogs paginated with ?page=N (0-based)."""

import re

from crawlers.spiders.base import NewsSpider


class IecSpider(NewsSpider):
    name = "iec"
    allowed_domains = ["www.iec.ch"]
    # The listing URL is inferred: article pages link their "News & blogs" breadcrumb to it.
    start_urls = ["https://www.iec.ch/news-blogs"]
    article_links_css = ".view-content article .node__title a::attr(href)"
    next_page_css = "nav.pager a[rel=next]::attr(href)"
    article_url_re = re.compile(r"^https://www\.iec\.ch/blog/[^/?#]+$")
