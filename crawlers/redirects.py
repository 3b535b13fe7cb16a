"""Redirects that stay on the source: any other is refused where it is decided, and recorded.

Scrapy's own redirect middleware follows any Location; its offsite filter then drops a redirect
to another host at scheduling time, and its duplicate filter drops the second visit of a loop,
both without calling the request's errback: the article vanished, in no `crawl_errors` row. A
chain longer than REDIRECT_MAX_TIMES did reach the errback, but under the last hop's URL.

These subclasses (HTTP redirects and meta refreshes) check the next hop before it becomes a
request, so nothing is ever sent to a refused address, and refuse it with RedirectRefused, an
IgnoreRequest carrying a crawlers/failures.py reason: the request's own errback (the spiders'
article_failed, discovery_failed) records it under the URL first asked for, and the post stays
pending for the next run. Refused:

* **offsite**: a host outside the spider's allowed_domains (its request's own host when it has
  none), or a private, loopback, link-local or reserved address, or `localhost` (whatever the
  domains say: a redirect is never a way into the machine's own network);
* **redirect**: a loop (a URL already in the chain), or more hops than REDIRECT_MAX_TIMES.

Catching this at the redirect rather than through the engine's `request_dropped` signal: the
offsite filter sends no signal at all, the dropped request has lost its place in the chain, and a
signal handler sees the request only after it was built (a private address would be refused one
step too late to be sure nothing reaches it).
"""

from __future__ import annotations

import ipaddress
import re

from scrapy import Request
from scrapy.downloadermiddlewares import redirect
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from crawlers import failures


class RedirectRefused(IgnoreRequest):
    """A redirect not followed; `reason` is crawlers.failures.OFFSITE or REDIRECT."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def asked_for(request: Request) -> str:
    """The URL first asked for, before any redirect (what a refusal is recorded under)."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def is_private(host: str) -> bool:
    """An address of the machine or its network: loopback, private, link-local, reserved..."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: the domain check decides
    return not address.is_global or address.is_multicast


def domains_regex(domains: list[str]) -> re.Pattern[str]:
    """Scrapy's offsite rule: a domain and its subdomains."""
    return re.compile(rf"^(.*\.)?({'|'.join(re.escape(d) for d in domains)})$")


class SourceRedirects:
    """The check both middlewares run on a redirect Scrapy's parent class decided to follow."""

    def refused(self, request: Request, redirected: Request) -> RedirectRefused | None:
        target = urlparse_cached(redirected).hostname or ""
        if is_private(target):
            return RedirectRefused(
                failures.OFFSITE, f"redirect to a private address refused: {redirected.url}"
            )
        if not (request.meta.get("allow_offsite") or self.on_site(request, target)):
            return RedirectRefused(
                failures.OFFSITE, f"redirect off the source refused: {redirected.url}"
            )
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if redirected.url in chain:
            return RedirectRefused(
                failures.REDIRECT, f"redirect loop after {len(chain)} hops: {redirected.url}"
            )
        return None

    def on_site(self, request: Request, host: str) -> bool:
        domains = list(getattr(self.crawler.spider, "allowed_domains", None) or [])
        domains = domains or [urlparse_cached(request).hostname or ""]
        return bool(domains_regex(domains).search(host))

    def checked(self, request: Request, answer):
        """The parent's decision (a Request to follow, or the response), checked."""
        if isinstance(answer, Request):
            refusal = self.refused(request, answer)
            if refusal:
                raise refusal
        return answer

    def too_many(self, request: Request, error: IgnoreRequest) -> IgnoreRequest:
        hops = len(request.meta.get("redirect_urls", [])) + 1
        return RedirectRefused(failures.REDIRECT, f"{error} after {hops} hops from {request.url}")


class RedirectMiddleware(SourceRedirects, redirect.RedirectMiddleware):
    """3xx answers with a Location."""

    def process_response(self, request: Request, response: Response):
        try:
            answer = super().process_response(request, response)
        except IgnoreRequest as error:  # Scrapy's "max redirections reached"
            raise self.too_many(request, error) from None
        return self.checked(request, answer)


class MetaRefreshMiddleware(SourceRedirects, redirect.MetaRefreshMiddleware):
    """`<meta http-equiv="refresh">` pages."""

    def process_response(self, request: Request, response: Response):
        try:
            answer = super().process_response(request, response)
        except IgnoreRequest as error:
            raise self.too_many(request, error) from None
        return self.checked(request, answer)
