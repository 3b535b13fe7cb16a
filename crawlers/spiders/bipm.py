"""BIPM news: the Liferay Asset Publisher listing (/en/news-detail) and the pre-2021 news hub."""

import re

from crawlers.spiders.base import NewsSpider


class BipmSpider(NewsSpider):
    name = "bipm"
    allowed_domains = ["www.bipm.org"]
    start_urls = [
        "https://www.bipm.org/en/news-detail",
        # The old JSP site (ISO-8859-1); gone from the live site, kept for mirrors that have it.
        "https://www.bipm.org/en/news/",
    ]
    article_links_css = ".asset-abstract .asset-title a::attr(href), li.news-item > a::attr(href)"
    # Liferay pages with ?..._cur=N; the disabled "Next" on the last page has href="javascript:;".
    next_page_css = ".lfr-pagination-buttons li:not(.disabled) a.next::attr(href)"
    # News assets carry a YYYY-MM-DD- or YYYY- prefix; /-/ alone also serves resolutions etc.
    article_url_re = re.compile(
        r"^https://www\.bipm\.org/(en|fr)/-/\d{4}-[^/?#]+$"
        r"|^https://www\.bipm\.org/en/news/full-stories/\d{4}-\d{2}-[^/?#]+\.html$"
    )
