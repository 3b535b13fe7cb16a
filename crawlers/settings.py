"""Polite defaults for crawling the live sites; `stdnews crawl --replay` relaxes the politeness.

Every value can be overridden per run (`scrapy crawl iso -s NAME=value`) and the database path and
contact URL from the environment, so cron jobs need no edited files.
"""

import os

from scrapy.settings import default_settings

from pipeline import __version__
from pipeline.paths import DEFAULT_DB
from pipeline.store import state

BOT_NAME = "standards-news"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"
# `scrapy crawl` exits with the run's answer (crawlers/commands/crawl.py).
COMMANDS_MODULE = "crawlers.commands"

# Where items end up, and who to contact about the crawler (shown in the User-Agent).
NEWS_DB_PATH = os.environ.get("STDNEWS_DB", str(DEFAULT_DB))
CONTACT_URL = os.environ.get(
    "STDNEWS_CONTACT_URL", "https://github.com/standards-news/standards-news"
)
USER_AGENT = f"standards-news/{__version__} (+{CONTACT_URL}; news aggregation for research)"

ROBOTSTXT_OBEY = True
# Requests at once, per source and process (each source has its own engine): a fetcher's own
# capacity; a host's share is CONCURRENT_REQUESTS_PER_DOMAIN.
CONCURRENT_REQUESTS = int(os.environ.get("STDNEWS_CONCURRENT_REQUESTS", "8"))
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Items and requests handled at once per response. Scrapy starts this many tasks for every
# response; its default (100) costs more than our pages (a dozen links at most) ever need.
CONCURRENT_ITEMS = 16
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
# A news article is tens of KB; anything near these sizes is not one.
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy's remote-control HTTP endpoint (code execution for a job manager): an open port an
# unattended crawler has no use for.
REMOTE_CONTROL_ENABLED = False
# Left out of Scrapy's base lists, not only switched off: Scrapy imports every class these lists
# name at start-up, and these three bring aiohttp and tldextract's suffix list into every crawl
# (cookies are off above: COOKIES_ENABLED). Lower case: Scrapy reads every upper-case name here
# as a setting.
_switched_off = {
    "scrapy.extensions.telnet.TelnetConsole",
    "scrapy.extensions.remote_control.RemoteControl",
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
}
EXTENSIONS_BASE = {
    k: v for k, v in default_settings.EXTENSIONS_BASE.items() if k not in _switched_off
}
DOWNLOADER_MIDDLEWARES_BASE = {
    k: v for k, v in default_settings.DOWNLOADER_MIDDLEWARES_BASE.items() if k not in _switched_off
}
REDIRECT_MAX_TIMES = 10

DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en,fr;q=0.8",
}

ITEM_PIPELINES = {"crawlers.pipelines.SQLitePipeline": 300}
DOWNLOADER_MIDDLEWARES = {
    # A refused robots.txt is not "everything allowed" (crawlers/robots.py).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.robots.RobotsTxtMiddleware": 100,
    # Sees answers after retries, redirects and decompression (Scrapy's 550-600), before the
    # spider: a blocked page becomes the Internet Archive's copy (crawlers/archive.py).
    "crawlers.archive.ArchiveFallback": 540,
    # Sees connection failures before the retries (550): a host that does not answer is given up
    # for the run, in one line (crawlers/hosts.py).
    "crawlers.hosts.UnreachableHosts": 560,
    # Redirects stay on the source: any other is refused unsent and recorded with its reason
    # (crawlers/redirects.py), where Scrapy's offsite and duplicate filters drop it silently.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawlers.redirects.MetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawlers.redirects.RedirectMiddleware": 600,
}
# Connection-level failures in a row before a host's other requests are not sent.
STDNEWS_HOST_DOWN_AFTER = 2

# Blocked pages are looked up in the Internet Archive (env STDNEWS_ARCHIVE=0: never). Its
# requests go one at a time on their own download slot, this many seconds apart (the archive
# asks API clients to stay well under one request a second), and at most this many lookups per
# source and run; blocked pages over that wait for a later run.
STDNEWS_ARCHIVE_FALLBACK = os.environ.get("STDNEWS_ARCHIVE", "1") not in ("0", "false", "no")
STDNEWS_ARCHIVE_DELAY = float(os.environ.get("STDNEWS_ARCHIVE_DELAY", "4"))
STDNEWS_ARCHIVE_MAX_LOOKUPS = int(os.environ.get("STDNEWS_ARCHIVE_MAX_LOOKUPS", "100"))
DOWNLOAD_SLOTS = {"archive": {"delay": STDNEWS_ARCHIVE_DELAY, "concurrency": 1}}
# A live progress line on a terminal (switched on by `stdnews crawl` when stderr is one).
# A run stopped by Ctrl-C or SIGTERM is recorded as interrupted, not complete.
EXTENSIONS = {"crawlers.progress.Progress": 500, "crawlers.interrupted.Interrupted": 510}
STDNEWS_PROGRESS = False

# Incremental crawling (pipeline/store/state.py): posts published within this many days are
# re-checked with conditional requests on every run; refused articles (OECD's 403s) are asked
# for again at most every this many hours.
# (The defaults are pipeline/store/state.py's.)
STDNEWS_REVISIT_DAYS = int(os.environ.get("STDNEWS_REVISIT_DAYS", state.REVISIT_DAYS))
STDNEWS_RETRY_REFUSED_HOURS = float(
    os.environ.get("STDNEWS_RETRY_REFUSED_HOURS", state.RETRY_REFUSED_HOURS)
)
# Discovery pages of sites no longer published to (spiders' archive_urls): weekly is enough.
STDNEWS_ARCHIVE_RECHECK_DAYS = float(
    os.environ.get("STDNEWS_ARCHIVE_RECHECK_DAYS", state.ARCHIVE_RECHECK_DAYS)
)
# Listings of translations (spiders' secondary_urls, ISO's French and Russian): asked for when
# the run found a new article, else at most this often, so an unchanged run costs less.
STDNEWS_SECONDARY_RECHECK_HOURS = float(
    os.environ.get("STDNEWS_SECONDARY_RECHECK_HOURS", state.SECONDARY_RECHECK_HOURS)
)

# The replay handler (crawlers/replay/handler.py) sends requests for the real hosts to a
# loopback mirror (crawlers/replay/server.py); it is switched on by setting REPLAY_ADDRESS
# (host:port), which `stdnews crawl --replay` does.
REPLAY_ADDRESS = os.environ.get("STDNEWS_REPLAY_ADDRESS", "")

# A shared frontier (crawlers/frontier/, `stdnews crawl --frontier`): a fetcher whose heartbeat
# is this many seconds old is taken for dead and its requests are put back in the frontier.
STDNEWS_FRONTIER_HEARTBEAT = float(os.environ.get("STDNEWS_FRONTIER_HEARTBEAT", "10"))

LOG_LEVEL = os.environ.get("STDNEWS_LOG_LEVEL", "INFO")
FEED_EXPORT_ENCODING = "utf-8"
