"""A loopback HTTP server over a `wget --mirror`-style folder: <root>/<host>/<path>[?query].

The request's Host header picks the folder, so one server answers for every mirrored host. Lookup
follows wget's file naming: the path with its query string as the file name, `index.html` for a
path ending in "/", and the `.html` suffix that `wget --adjust-extension` adds.

Like a real web server, it answers conditional requests: every file has an ETag (a hash of its
bytes) and a Last-Modified (its mtime), and If-None-Match / If-Modified-Since get a 304 when the
file has not changed, so that incremental crawls replay as they run live.

Answers other than 200 come from an optional `<host>/.responses` file, one rule a line:
`STATUS PATH [LOCATION]`, e.g. `301 /news/ref2508.html https://www.iso.org/contents/news/...`
or `403 /en/about/news/...html` (the body is `<host>/.STATUS.html` when that file exists); the
PATH `*` answers every request that no other rule names.

An optional latency (seconds, the `latency` argument or env STDNEWS_REPLAY_LATENCY, read by every
process that starts a server, fetchers included) delays each answer, as a live site's round trip
does: waiting, not the loopback's speed, then bounds a crawl (bench/frontier.py). The server is
threaded, so a delayed answer holds up no other.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".txt": "text/plain",
}
LATENCY_ENV = "STDNEWS_REPLAY_LATENCY"


def candidates(root: Path, host: str, target: str) -> list[Path]:
    """Files that may hold the answer to `GET target` on `host`, most specific first."""
    parts = urlsplit(target)
    base = root / host.rstrip(".").split(":")[0].lower()
    path = parts.path or "/"
    names = []
    if parts.query:
        names += [f"{path}?{parts.query}", f"{unquote(path)}?{unquote(parts.query)}"]
        # A query ending in "/" (a URL passed as a parameter) is a folder too: its index.html.
        names += [name + "index.html" for name in names if name.endswith("/")]
    if path.endswith("/"):
        names.append(path + "index.html")
    else:
        names += [path, unquote(path), path + ".html", path + "/index.html"]
    files = []
    for name in names:
        file = (base / name.lstrip("/")).resolve()
        # Never serve anything outside the host's folder, whatever the request path says.
        if file.is_relative_to(base.resolve()) and file.is_file():
            files.append(file)
    return files


def read_rules(root: Path, host: str) -> dict[str, tuple[int, str | None]]:
    """The host's `.responses` rules: request target -> (status, Location)."""
    file = root / host.rstrip(".").split(":")[0].lower() / ".responses"
    rules = {}
    if file.is_file():
        for line in file.read_text("utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 2 and not line.startswith("#"):
                location = parts[2] if len(parts) > 2 and parts[2] != "-" else None
                rules[parts[1]] = (int(parts[0]), location)
    return rules


def content_type(file: Path, head: bytes) -> str:
    """By extension, else by sniffing the first bytes (wget stores most pages without one)."""
    if file.suffix.lower() in TYPES:
        return TYPES[file.suffix.lower()]
    start = head.lstrip()[:5].lower()
    if start.startswith(b"<?xml"):
        return "application/xml"
    if start.startswith(b"<"):
        return "text/html"
    if start[:1] in (b"{", b"["):
        return "application/json"
    return mimetypes.guess_type(file.name)[0] or "application/octet-stream"


class MirrorHandler(BaseHTTPRequestHandler):
    server_version = "standards-news-replay"
    # Persistent connections, as the real sites keep them (every answer has a Content-Length).
    protocol_version = "HTTP/1.1"
    root: Path

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        if self.server.latency:
            time.sleep(self.server.latency)
        host = self.headers.get("Host", "")
        rules = read_rules(self.server.root, host)
        rule = rules.get(self.path) or rules.get("*")  # "*": every path (a host that blocks)
        if rule:
            self._answer_rule(host, *rule, send_body=send_body)
            return
        files = candidates(self.server.root, host, self.path)
        if not files:
            self.send_error(HTTPStatus.NOT_FOUND, f"not in the mirror: {host}{self.path}")
            return
        body = files[0].read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        modified = int(files[0].stat().st_mtime)
        if self._not_modified(etag, modified):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type(files[0], body[:64]))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", formatdate(modified, usegmt=True))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _not_modified(self, etag: str, modified: int) -> bool:
        """RFC 9110: If-None-Match decides when present, else If-Modified-Since."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return etag in [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        since = self.headers.get("If-Modified-Since")
        try:
            return since is not None and modified <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False

    def _answer_rule(self, host: str, status: int, location: str | None, send_body: bool) -> None:
        page = self.server.root / host.rstrip(".").split(":")[0].lower() / f".{status}.html"
        body = page.read_bytes() if page.is_file() else b""
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format, *args) -> None:  # noqa: A002 (the http.server API)
        pass  # the crawler logs every request already


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5, fewer than the connections a crawl of several
    # spiders opens at once; a full backlog delays them by a SYN retry each.
    request_queue_size = 128

    def __init__(
        self, root: Path, host: str = "127.0.0.1", port: int = 0, latency: float | None = None
    ):
        self.root = Path(root).resolve()
        self.latency = float(os.environ.get(LATENCY_ENV) or 0) if latency is None else latency
        if not self.root.is_dir():
            raise FileNotFoundError(f"replay folder not found: {root}")
        super().__init__((host, port), MirrorHandler)

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> MirrorServer:
        threading.Thread(target=self.serve_forever, name="replay-server", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
