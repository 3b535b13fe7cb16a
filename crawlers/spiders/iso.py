"""ISO news: /news.html (Jahia), whose "Load more" button carries the next page's URL."""

import re

from crawlers.spiders.base import NewsSpider


class IsoSpider(NewsSpider):
    name = "iso"
    allowed_domains = ["www.iso.org"]
    start_urls = ["https://www.iso.org/news.html"]
    article_links_css = "div.entry-name a::attr(href)"
    next_page_css = "button[id^=more]::attr(data-next-url)"
    article_url_re = re.compile(
        r"^https://www\.iso\.org/(?:(?:fr|ru)/)?(?:contents/)?news/"
        r"(?:\d{4}/\d{2}/[^/?#]+|ref\d+)\.html$",
        re.IGNORECASE,
    )
