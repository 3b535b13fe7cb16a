"""ISO: the /news.html listing (Jahia, "Load more" carries the next page) and the news feed.

Article URLs come in many shapes (/news/refNNNN.html, /news/YYYY/MM/RefNNNN.html,
/contents/news/..., /cms/render/live/<lang>/sites/isoorg/..., members' *.isolutions.iso.org
mirrors); they are canonicalized before requesting, and vanity URLs follow their 301 redirects.

The French and Russian listings hold translations of English posts: an incremental run asks for
them only when the English listing or feed had something new, or once a day (secondary_urls).
"""

from crawlers.spiders.base import NewsSpider

# French and Russian versions of the posts [INF: the language switcher's listing URLs].
TRANSLATIONS = ("https://www.iso.org/fr/news.html", "https://www.iso.org/ru/news.html")


class IsoSpider(NewsSpider):
    name = "iso"
    allowed_domains = ["www.iso.org"]
    start_urls = [
        "https://www.iso.org/news.html",
        "https://www.iso.org/contents/news.rss",
        *TRANSLATIONS,
    ]
    secondary_urls = TRANSLATIONS
    article_links_css = "div.entry-name a::attr(href)"
    next_page_css = "button[id^=more]::attr(data-next-url)"
