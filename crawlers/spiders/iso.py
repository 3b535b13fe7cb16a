"""ISO: the /news.html listing (Jahia, "Load more" carries the next page) and the news feed.

Article URLs come in many shapes (/news/refNNNN.html, /news/YYYY/MM/RefNNNN.html,
/contents/news/..., /cms/render/live/<lang>/sites/isoorg/..., members' *.isolutions.iso.org
mirrors); they are canonicalized before requesting, and vanity URLs follow their 301 redirects.
"""

from crawlers.spiders.base import NewsSpider


class IsoSpider(NewsSpider):
    name = "iso"
    allowed_domains = ["www.iso.org"]
    start_urls = [
        "https://www.iso.org/news.html",
        "https://www.iso.org/contents/news.rss",
        # French and Russian versions of the posts [INF: the language switcher's listing URLs].
        "https://www.iso.org/fr/news.html",
        "https://www.iso.org/ru/news.html",
    ]
    article_links_css = "div.entry-name a::attr(href)"
    next_page_css = "button[id^=more]::attr(data-next-url)"
