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
  (crawlers/pipelines.py);
* **error**: a post fetched but not saved because normalizing or storing it raised an unexpected
  error (a fault of ours, logged in one line; crawlers/pipelines.py).
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
ERROR = "error"
REASONS = (
    *(BLOCKED, UNREACHABLE, GONE, CHANGED, HTTP, INVALID, ROBOTS),
    *(OFFSITE, REDIRECT, NOT_TEXT, EMPTY, LOCKED, ERROR),
)

GONE_STATUSES = (404, 410)
REFUSAL_STATUSES = (401, 403, 429)
# Read from the start of a body only: challenge pages are small, and articles are not read whole.
SNIFF_BYTES = 8192
# Markers only challenge and refusal pages carry, whatever their status (Cloudflare's challenge
# scripts and form, Imperva, PerimeterX, DataDome). Cloudflare's /cdn-cgi/challenge-platform/
# scripts/ also ride on ordinary pages: only its /h/ (challenge) path counts.
CHALLENGE_MARKERS = re.compile(
    rb"cf-chl-|cf_chl_opt|/cdn-cgi/challenge-platform/h/|_incapsula_resource|px-captcha"
    rb"|captcha-delivery\.com",
    re.IGNORECASE,
)
# A refusal page's title, as a whole title: a news title may start with "One more step".
CHALLENGE_TITLE = re.compile(
    rb"<title>\s*(?:just a moment\.*|attention required!?(?: \| cloudflare)?|access denied"
    rb"|please wait\.*|verifying you are human\.*|one more step|ddos-guard|request unsuccessful"
    rb"|error: the request could not be satisfied|403 forbidden)\s*</title>",
    re.IGNORECASE,
)
# Phrases of refusal pages, believed only when the status already says "refused" (or 503).
REFUSAL_PHRASES = re.compile(
    rb"the request could not be satisfied|enable javascript and cookies to continue"
    rb"|verifying you are human|<title>\s*(?:just a moment|attention required|access denied)",
    re.IGNORECASE,
)
# Headers CDNs set on the refusal itself (cf-mitigated: challenge; AWS WAF's action).
CHALLENGE_HEADERS = {"cf-mitigated": b"challenge", "x-amzn-waf-action": b""}
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


def is_challenge(headers: dict | None, body: bytes | None, status: int = 200) -> bool:
    """A bot challenge or a CDN's refusal page. With a 200, only what such pages alone carry
    (their headers, scripts, whole titles); with a refusal status, their usual phrases too."""
    for key, value in (headers or {}).items():
        name = (key.decode("latin-1") if isinstance(key, bytes) else str(key)).lower()
        wanted = CHALLENGE_HEADERS.get(name)
        if wanted is not None and wanted in header_bytes(value).lower():
            return True
    head = (body or b"")[:SNIFF_BYTES]
    if CHALLENGE_MARKERS.search(head) or CHALLENGE_TITLE.search(head):
        return True
    refusal = status in REFUSAL_STATUSES or status == 503
    return refusal and REFUSAL_PHRASES.search(head) is not None


def header_bytes(value) -> bytes:
    """A header's value as bytes (Scrapy's Headers give lists of bytes)."""
    if isinstance(value, list | tuple):
        value = b",".join(header_bytes(v) for v in value)
    return value if isinstance(value, bytes) else str(value).encode("latin-1", "replace")


def from_response(status: int, headers: dict | None = None, body: bytes | None = None) -> str:
    """The reason of an answer that failed (status >= 400, or a 200 challenge page)."""
    if is_challenge(headers, body, status):
        return BLOCKED
    if status in GONE_STATUSES:
        return GONE
    if status in REFUSAL_STATUSES:
        return BLOCKED
    if status >= 500:
        return UNREACHABLE
    return HTTP


def of_answer(status: int, headers, body: bytes | None) -> str | None:
    """The reason of an answer that failed (an error status, or a challenge page whatever its
    status), else None: an answer the page can be read from."""
    if status < 400 and not is_challenge(headers, body, status):
        return None
    return from_response(status, headers, body)


def from_exception(error: BaseException) -> str:
    """The reason of a request that got no answer (Twisted's and Scrapy's exception types)."""
    names = {cls.__name__ for cls in type(error).__mro__}
    tls = type(error).__module__.startswith("OpenSSL")
    if tls or names & set(UNREACHABLE_ERRORS) or isinstance(error, OSError | TimeoutError):
        return UNREACHABLE
    return INVALID
