"""Telling a refusal from a page (crawlers/failures.py): challenge pages are recognized whatever
their status, and ordinary articles that merely use the same words are not."""

from __future__ import annotations

import pytest
from scrapy.http import Headers

from crawlers import failures

ARTICLE = (
    "<html><head><title>{title}</title>"
    '<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script></head>'
    "<body><main><article><h1>{title}</h1><p>{text}</p></article></main></body></html>"
)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("One more step towards net zero", "A new standard closes the gap."),
        ("Access denied: what standards say about data portability", "Users own their data."),
        ("Cookies and scripts", "Please enable JavaScript and cookies to continue reading."),
        ("The request could not be satisfied, said the committee", "A vote was postponed."),
    ],
)
def test_ordinary_articles_are_not_challenges(title, text):
    body = ARTICLE.format(title=title, text=text).encode()
    headers = Headers({"Content-Type": "text/html", "x-datadome": "protected"})
    assert not failures.is_challenge(headers, body, 200)
    assert failures.from_response(404, headers, body) == failures.GONE


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        (403, {}, b"<html><head><title>Just a moment...</title></head><body></body></html>"),
        (200, {}, b"<html><head><title>Just a moment...</title></head></html>"),
        (403, {"cf-mitigated": "challenge"}, b""),
        (200, {}, b"<script>window._cf_chl_opt={cType: 'managed'};</script>"),
        (403, {}, b"<h1>403 ERROR</h1><h2>The request could not be satisfied.</h2>"),
        (503, {}, b"<title>Access denied | www.example.org used Cloudflare</title>"),
    ],
)
def test_challenge_and_cdn_refusal_pages_are_blocked(status, headers, body):
    assert failures.is_challenge(Headers(headers), body, status)
    assert failures.from_response(status, Headers(headers), body) == failures.BLOCKED


def test_a_plain_refusal_status_is_blocked_and_a_server_error_unreachable():
    assert failures.from_response(429) == failures.BLOCKED
    assert failures.from_response(502, {}, b"<title>Bad gateway</title>") == failures.UNREACHABLE
