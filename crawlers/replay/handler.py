"""Replays: send the spiders' requests for the real hosts to a loopback mirror server.

Only the last hop changes. Every request still goes through the engine, the scheduler, robots.txt,
the downloader middlewares and Scrapy's own HTTP/1.1 handler; the handler connects to the loopback
server instead of the real host and puts the real URL back on the response, so that items and
stored URLs stay the real https URLs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Response


class ReplayDownloadHandler(BaseDownloadHandler):
    """Download handler for http(s) that routes to the server at the REPLAY_ADDRESS setting."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.address = crawler.settings.get("REPLAY_ADDRESS")
        if not self.address:
            raise ValueError("ReplayDownloadHandler needs the REPLAY_ADDRESS setting (host:port)")
        self.http = HTTP11DownloadHandler(crawler)

    async def download_request(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        local = f"http://{self.address}{parts.path or '/'}" + (
            f"?{parts.query}" if parts.query else ""
        )
        headers = request.headers.copy()
        headers["Host"] = parts.netloc
        response = await self.http.download_request(request.replace(url=local, headers=headers))
        return response.replace(url=request.url, request=request)

    async def close(self) -> None:
        await self.http.close()
