"""Saved searches that notify: `stdnews watch`, and the notices a real crawl of the snapshot
sends, to a loopback webhook receiver (http.server) and a loopback SMTP server (socketserver,
speaking enough SMTP for smtplib), each once; retries, a receiver that is down, the record."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.store import watches
from tests.conftest import crawl_replay, stdnews
from tests.test_bad_input import crawled, read_only_db  # noqa: F401 - fixtures

KILOGRAM = {  # the snapshot's posts that mention the kilogram
    "Top 10 news stories from 2024",
    "150 years of the Metre Convention",
    "The consensus value of the kilogram",
}


class Receiver:
    """A webhook on loopback: records each POST (its JSON) and answers the next of `answers`
    (then 200)."""

    def __init__(self, answers=(), port: int = 0):
        self.calls: list[tuple[int, dict]] = []
        pending = list(answers)
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = pending.pop(0) if pending else 200
                calls.append((status, json.loads(body)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=secret"

    def accepted(self) -> list[dict]:
        return [payload for status, payload in self.calls if status == 200]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


class SMTPHandler(socketserver.StreamRequestHandler):
    """One SMTP session: the commands smtplib sends, each message's bytes kept."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 localhost loopback SMTP")
        while line := self.rfile.readline():
            verb = line[:4].decode().upper()
            if verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                self.server.messages.append(self.read_data())
            if verb == "QUIT":
                return self.reply("221 bye")
            answer = {"EHLO": "250 localhost", "HELO": "250 localhost"}
            self.reply(answer.get(verb, "250 OK") if verb != "DATA" else "250 queued")

    def read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) != b".\r\n":
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


@pytest.fixture
def smtp(monkeypatch):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPHandler)
    server.messages = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("STDNEWS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("STDNEWS_SMTP_PORT", str(server.server_address[1]))
    monkeypatch.setenv("STDNEWS_MAIL_FROM", "news@stdnews.test")
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def site(monkeypatch):
    monkeypatch.setenv("STDNEWS_SITE_URL", "https://news.example/")


def add(db_path: Path, *args: str):
    return stdnews("watch", "add", *args, "--db", str(db_path))


def titles(payloads: list[dict]) -> list[str]:
    return [post["title"] for payload in payloads for post in payload["posts"]]


def test_a_crawl_sends_a_watch_its_new_posts_once(tmp_path, receiver):
    db_path = tmp_path / "news.db"
    assert add(db_path, "kg", "kilogram", "--webhook", receiver.url).returncode == 0
    crawl = crawl_replay(db_path)
    assert crawl.returncode == 0, crawl.stderr
    (payload,) = receiver.accepted()
    assert payload["watch"] == "kg"
    assert payload["query"] == "kilogram"
    assert set(titles([payload])) >= KILOGRAM
    assert len(titles([payload])) == 4
    post = payload["posts"][0]
    assert post["url"].startswith("https://")
    assert post["source"]
    assert post["page"] == f"https://news.example/news/posts/{post['id']}"
    assert payload["feed"] == "https://news.example/news/feed_search.atom?q=kilogram"
    again = crawl_replay(db_path)  # a second run: nothing new, nothing sent
    by_hand = stdnews("watch", "notify", "--db", str(db_path))
    assert again.returncode == 0
    assert by_hand.returncode == 0
    assert by_hand.stdout == "kg: nothing new\n"
    assert len(receiver.calls) == 1
    listed = stdnews("watch", "list", "--db", str(db_path)).stdout
    assert "4 sent, 0 pending, 0 unconfirmed" in listed


def test_filters_narrow_what_a_watch_sends(tmp_path, receiver):
    db_path = tmp_path / "news.db"
    args = ["--since", "2024-01-01", "--webhook", receiver.url]
    assert add(db_path, "ai", "artificial intelligence", *args).returncode == 0
    assert add(db_path, "kg", "kilogram", "--source", "iso", "--webhook", receiver.url)
    assert crawl_replay(db_path).returncode == 0
    (payload,) = receiver.accepted()  # ISO has no post on the kilogram: nothing to send
    assert payload["watch"] == "ai"
    assert len(payload["posts"]) == 5
    assert all(post["published"] >= "2024" for post in payload["posts"])


def test_a_failing_receiver_gets_the_posts_once_after_retries(tmp_path):
    receiver = Receiver(answers=[500, 500])
    db_path = tmp_path / "news.db"
    try:
        add(db_path, "kg", "kilogram", "--webhook", receiver.url)
        assert crawl_replay(db_path).returncode == 0
        assert [status for status, _ in receiver.calls] == [500, 500, 200]
        assert len(titles(receiver.accepted())) == 4
        assert stdnews("watch", "notify", "--db", str(db_path)).returncode == 0
        assert len(receiver.calls) == 3
    finally:
        receiver.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_webhook_leaves_the_notices_for_the_next_run(tmp_path):
    port, db_path = free_port(), tmp_path / "news.db"
    hook = f"http://127.0.0.1:{port}/hook"
    add(db_path, "kg", "kilogram", "--webhook", hook)
    crawl = crawl_replay(db_path)
    assert crawl.returncode == 0  # the crawl's answer stands
    (warning,) = [line for line in crawl.stderr.splitlines() if "watch" in line]
    assert warning.startswith(f"stdnews crawl: warning: watch kg: not sent to {hook}: ")
    assert warning.endswith("(after 3 attempts); 4 posts left for the next run")
    assert "0 sent, 4 pending" in stdnews("watch", "list", "--db", str(db_path)).stdout
    receiver = Receiver(port=port)
    try:
        sent = stdnews("watch", "notify", "--db", str(db_path))
        assert sent.stdout == f"kg: 4 new posts sent to {hook}\n"
        assert len(titles(receiver.accepted())) == 4
        assert stdnews("watch", "notify", "--db", str(db_path)).stdout == "kg: nothing new\n"
        assert len(receiver.calls) == 1
    finally:
        receiver.close()


def test_a_notice_whose_sending_was_cut_short_is_not_sent_again(tmp_path, receiver):
    """A notifier killed between the send and its record: the notice stays `sending`; once
    stale it is `unconfirmed`, never sent a second time."""
    db_path = tmp_path / "news.db"
    add(db_path, "kg", "kilogram", "--webhook", receiver.url)
    wdb = watches.open_watches(db_path)
    post = {"id": "p1", "title": "T", "url": "https://www.iso.org/x", "source": "iso"}
    watches.queue(wdb, "kg", [post], None)
    watches.claim(wdb, "kg", 10)  # ... and the process stops here
    notified = stdnews("watch", "notify", "--db", str(db_path))
    assert notified.stdout == "kg: nothing new\n"
    assert receiver.calls == []
    wdb.execute("update watch_notices set last_attempt = '2020-01-01T00:00:00+00:00'")
    wdb.conn.commit()
    assert stdnews("watch", "notify", "--db", str(db_path)).stdout == "kg: nothing new\n"
    assert receiver.calls == []
    assert watches.counts(wdb, "kg") == {"unconfirmed": 1}
    wdb.close()


def test_an_email_watch_gets_one_message_with_the_post_links(tmp_path, smtp):
    db_path = tmp_path / "news.db"
    assert add(db_path, "kg", "kilogram", "--email", "analyst@example.org").returncode == 0
    assert crawl_replay(db_path).returncode == 0
    (raw,) = smtp.messages
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == "standards-news: 4 new posts for kg (kilogram)"
    assert message["From"] == "news@stdnews.test"
    assert message["To"] == "analyst@example.org"
    body = message.get_content()
    assert all(title in body for title in KILOGRAM)
    assert body.count("https://news.example/news/posts/") == 4
    assert stdnews("watch", "notify", "--db", str(db_path)).stdout == "kg: nothing new\n"
    assert len(smtp.messages) == 1


def test_a_feed_only_watch_sends_nothing_and_has_its_feed(tmp_path):
    db_path = tmp_path / "news.db"
    added = add(db_path, "ai", "artificial intelligence", "--source", "iso", "--feed-only")
    assert added.stdout.endswith(
        "feed: https://news.example/news/feed_search.atom?q=artificial+intelligence&source=iso\n"
    )
    assert crawl_replay(db_path).returncode == 0
    assert stdnews("watch", "notify", "--db", str(db_path)).stdout == ""


BAD = [
    (["x", "kilogram", "--source", "nosuch", "--feed-only"], "unknown source nosuch"),
    (["x", "kilogram", "--since", "2021-13-45", "--feed-only"], "'2021-13-45' does not match"),
    (["kg", "metre", "--feed-only"], "a watch named kg exists already"),
    (["x", "kilogram"], "give one of --webhook URL, --email ADDRESS or --feed-only"),
    (["x", "kilogram", "--webhook", "ftp://h/x"], "is not an http(s) URL"),
    (["x", "kilogram", "--email", "me\nBcc: all@x.org"], "is not an e-mail address"),
    (["x y", "kilogram", "--feed-only"], "letters, digits"),
    (["x", '""', "--feed-only"], "has no word to search for"),
]


@pytest.mark.parametrize(("args", "says"), BAD, ids=[b[1][:20] for b in BAD])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, says):
    db_path = tmp_path / "news.db"
    assert add(db_path, "kg", "kilogram", "--feed-only").returncode == 0
    result = add(db_path, *args)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("stdnews watch: ")
    assert says in line
    removed = stdnews("watch", "remove", "nosuch", "--db", str(db_path))
    assert removed.returncode == 2
    assert removed.stderr.startswith("stdnews watch: Invalid value for NAME: no watch named nosuch")
    assert len(removed.stderr.splitlines()) == 1
    assert [w["name"] for w in watches.list_watches(watches.open_watches(db_path))] == ["kg"]


def test_a_watch_is_removed_with_its_record(tmp_path, receiver):
    db_path = tmp_path / "news.db"
    add(db_path, "kg", "kilogram", "--webhook", receiver.url)
    assert crawl_replay(db_path).returncode == 0
    assert stdnews("watch", "remove", "kg", "--db", str(db_path)).stdout == "watch kg removed\n"
    assert stdnews("watch", "list", "--db", str(db_path)).stdout == "no watches\n"
    wdb = watches.open_watches(db_path)
    assert wdb.execute("select count(*) from watch_notices").fetchone()[0] == 0


def test_a_read_only_database_is_one_line(read_only_db):  # noqa: F811 - the fixture
    result = add(read_only_db, "kg", "kilogram", "--feed-only")
    assert result.returncode == 8
    path = watches.watches_path(read_only_db)
    assert result.stderr == f"stdnews watch: {path}: is read-only (this command writes to it)\n"
    assert stdnews("watch", "list", "--db", str(read_only_db)).stdout == "no watches\n"


def test_a_watch_feed_is_served_with_what_the_watch_sent(tmp_path, receiver, monkeypatch):
    """The feed `watch add` prints, asked of the real site, lists the posts the webhook got."""
    import feedparser
    import httpx

    from pipeline.site.serve import ServedSite

    db_path = tmp_path / "news.db"
    args = ["--since", "2024-01-01", "--webhook", receiver.url]
    monkeypatch.delenv("STDNEWS_SITE_URL")
    added = add(db_path, "ai", "artificial intelligence", *args)
    feed_path = added.stdout.rsplit("feed: ", 1)[1].strip()
    assert crawl_replay(db_path).returncode == 0
    with ServedSite(db_path) as site:
        feed = feedparser.parse(httpx.get(site.url + feed_path, timeout=30).content)
    assert {entry.title for entry in feed.entries} == set(titles(receiver.accepted()))
    assert len(feed.entries) == 5
