"""Why a request failed, in the operator's words: blocked, unreachable, gone, changed.

A site that refuses crawlers, a site that is down and a site whose markup changed need different
answers (wait for the archive's copy, retry later, fix a selector), so every failed request is
given one reason, and each run one diagnosis made of them:

* **blocked**: the server answered but refused us: 401/403/429, or any answer carrying a bot
  challenge or a CDN's refusal page (Cloudflare's "Just a moment...", `cf-mitigated: challenge`,
  CloudFront's "The request could not be satisfied", Akamai's "Access Denied", ...), even with a
  200 status;
* **unreachable**: no usable answer: DNS, refused or reset connections, timeouts, TLS, and 5xx
  answers without a challenge (the site is down);
* **gone**: 404/410, the page was removed;
* **changed**: a discovery page that answered but gave no article (reported by the health check,
  not here);
* **http**: any other HTTP error; **invalid**: an answer that could not be read (truncated or
  over-deep JSON, a body that is not what the address serves); **robots**: our robots.txt rules
  kept us from asking;
* **offsite**: a redirect that leaves the source (another host, a private or loopback address),
  refused unsent; **redirect**: a redirect loop, or more hops than REDIRECT_MAX_TIMES
  (crawlers/redirects.py);
* **not text**: an article answered with an image, a PDF or any other non-text type; **empty**: an
  article answered with an empty body;
* **locked**: a post fetched but not saved, the database's write lock never free in time
  (crawlers/pipelines.py).
"""

from __future__ import annotations

import re

BLOCKED = "blocked"
UNREACHABLE = "unreachable"
GONE = "gone"
CHANGED = "changed"
HTTP = "http"
INVALID = "invalid"
ROBOTS = "robots"  # our own politeness: robots.txt disallows the URL
OFFSITE = "offsite"
REDIRECT = "redirect"
NOT_TEXT = "not text"
EMPTY = "empty"
LOCKED = "locked"
REASONS = (
    *(BLOCKED, UNREACHABLE, GONE, CHANGED, HTTP, INVALID, ROBOTS),
    *(OFFSITE, REDIRECT, NOT_TEXT, EMPTY, LOCKED),
)

GONE_STATUSES = (404, 410)
REFUSAL_STATUSES = (401, 403, 429)
# Read from the start of a body only: challenge pages are small, and articles are not read whole.
SNIFF_BYTES = 8192
CHALLENGE_RE = re.compile(
    rb"<title>\s*(?:just a moment|attention required|access denied|please wait|"
    rb"verifying you are human|one more step|ddos-guard|request unsuccessful)"
    rb"|the request could not be satisfied|cf-chl-|challenge-platform|cf_chl_opt"
    rb"|_incapsula_resource|px-captcha|/cdn-cgi/challenge|captcha-delivery"
    rb"|enable javascript and cookies to continue",
    re.IGNORECASE,
)
# Headers CDNs set on a refusal (a 403 from these is a block, not a missing page).
CHALLENGE_HEADERS = ("cf-mitigated", "x-datadome", "x-amzn-waf-action")
UNREACHABLE_ERRORS = (
    # Scrapy's own wrappers of Twisted's errors (scrapy.exceptions), then Twisted's.
    "CannotResolveHostError",
    "DownloadConnectionRefusedError",
    "DownloadTimeoutError",
    "DownloadFailedError",
    "ResponseDataLossError",
    "DNSLookupError",
    "ConnectionRefusedError",
    "ConnectError",
    "ConnectionLost",
    "ConnectionDone",
    "ConnectionAborted",
    "TCPTimedOutError",
    "TimeoutError",
    "UserTimeoutError",
    "ResponseNeverReceived",
    "ResponseFailed",
    "SSLError",
    "NoRouteError",
    "TunnelError",
    "CannotListenError",
    "gaierror",
)


def is_challenge(headers: dict | None, body: bytes | None) -> bool:
    """A bot challenge or a CDN's refusal page, whatever its status."""
    names = {
        (k.decode("latin-1") if isinstance(k, bytes) else str(k)).lower() for k in headers or {}
    }
    if any(name in names for name in CHALLENGE_HEADERS):
        return True
    return bool(body) and CHALLENGE_RE.search(body[:SNIFF_BYTES]) is not None


def from_response(status: int, headers: dict | None = None, body: bytes | None = None) -> str:
    """The reason of an answer that failed (status >= 400, or a 200 challenge page)."""
    if is_challenge(headers, body):
        return BLOCKED
    if status in GONE_STATUSES:
        return GONE
    if status in REFUSAL_STATUSES:
        return BLOCKED
    if status >= 500:
        return UNREACHABLE
    return HTTP


def from_exception(error: BaseException) -> str:
    """The reason of a request that got no answer (Twisted's and Scrapy's exception types)."""
    if "unreachable" in str(error)[:12]:  # crawlers/hosts.py's: the host failed earlier
        return UNREACHABLE
    names = {cls.__name__ for cls in type(error).__mro__}
    tls = type(error).__module__.startswith("OpenSSL")
    if tls or names & set(UNREACHABLE_ERRORS) or isinstance(error, OSError | TimeoutError):
        return UNREACHABLE
    return INVALID
