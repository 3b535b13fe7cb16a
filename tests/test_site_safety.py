"""The site is safe to expose, against a real `stdnews serve` (a small database, over loopback):
no pointer or file function in any query, one request's memory and time bounded, bad
parameters answered 400, security headers, no echo of unbounded input in headers, robots.txt;
and `stdnews serve`'s own bad inputs (port in use or out of range, unreadable, read-only
database), temporary files and shutdown on SIGINT and SIGTERM."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from pipeline.paths import ROOT
from pipeline.site.serve import STATIC, TEMPLATES, ServedSite, free_port, metadata_for
from pipeline.store import open_db, save_post
from tests.conftest import stdnews
from tests.site_support import hostile_post

PEAK_MB = 400  # well above Datasette's own footprint (docs/performance.md)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    db_path = tmp_path_factory.mktemp("site") / "news.db"
    db = open_db(db_path)
    save_post(db, hostile_post())
    db.close()
    return db_path


@pytest.fixture(scope="module")
def site(small_db):
    with ServedSite(small_db) as served:
        yield served


def get(url: str, timeout: float = 30) -> tuple[int, dict, bytes]:
    """Status, headers (lower-case names) and body of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def sql(site, query: str) -> tuple[int, dict]:
    status, _, body = get(f"{site.url}/news.json?" + urllib.parse.urlencode({"sql": query}))
    return status, json.loads(body)


def log_of(site) -> str:
    site.log.seek(0)
    return site.log.read().decode(errors="replace")


def peak_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


# --- pointer and file functions --------------------------------------------------------------

POINTER_QUERIES = [
    "select fts3_tokenizer('simple')",
    "select hex(fts3_tokenizer('porter'))",
    "select fts3_tokenizer('mine', x'0000000000000000')",
    "select load_extension('/nonexistent')",
    "select 1 from posts where fts3_tokenizer('simple') is not null",
]


def test_fts3_tokenizer_exists_in_this_sqlite():
    """Control: the pointer function is compiled in, so refusing it is the site's doing."""
    conn = sqlite3.connect(":memory:")
    assert isinstance(conn.execute("select fts3_tokenizer('simple')").fetchone()[0], bytes)


@pytest.mark.parametrize("query", POINTER_QUERIES)
def test_pointer_functions_refused_in_sql(site, query):
    status, data = sql(site, query)
    assert status == 400, data
    assert "not authorized" in data["error"]
    assert not data["rows"]


def test_pointer_function_refused_in_canned_query(small_db):
    """A canned query runs on the same connections: refused there too."""
    from datasette.app import Datasette

    metadata = metadata_for(small_db)
    queries = metadata["databases"]["news"].setdefault("queries", {})
    queries["pointer"] = {"sql": "select fts3_tokenizer('simple') as p"}
    ds = Datasette(
        [str(small_db)],
        metadata=metadata,
        template_dir=str(TEMPLATES),
        static_mounts=[("assets", str(STATIC))],
    )
    answer = asyncio.run(ds.client.get("/news/pointer.json"))
    assert answer.status_code == 400, answer.text
    assert "not authorized" in answer.json()["error"]


# --- memory and time -------------------------------------------------------------------------

DOUBLING = (
    "with recursive r(s) as (select 'x' union all select s || s from r) select length(s) from r"
)
ROWS = "with recursive c(n) as (select 1 union all select n + 1 from c limit 1000) "
# 4 MB of 'a', and 2 MB of 'a' then 'b': compared at each position, 10^12 bytes.
A4M, A2MB = "printf('%.*c', 4000000, 'a')", "printf('%.*c', 2000000, 'a') || 'b'"
MAX_WIDTHS = ", ".join(["2147483647, 'x'"] * 4)
ROWS_60 = "with recursive c(n) as (select 1 union all select n + 1 from c limit 60) "
HOSTILE_QUERIES = {
    "printf width": "select length(printf('%.*c', 900000000, 'x'))",
    "printf widths": "select printf('%.*c%.*c', 2147483647, 'x', 2147483647, 'y')",
    "printf literal width": "select length(printf('%2000000000c', 'x'))",
    "randomblob": "select length(randomblob(1e9))",
    "zeroblob": "select zeroblob(1e9)",
    "doubling CTE": DOUBLING,
    "rows of big values": ROWS + "select randomblob(3000000) from c",
    "instr quadratic": f"select instr({A4M}, {A2MB})",
    "replace quadratic": f"select replace({A4M}, {A2MB}, '')",
    "like long pattern": f"select {A4M} like '%' || printf('%.*c', 5000, 'a') || 'b'",
    "printf blob format": f"select printf(cast('{'%.*c' * 4}' as blob), {MAX_WIDTHS})",
    "format blob format": f"select format(cast('{'%.*c' * 4}' as blob), {MAX_WIDTHS})",
    "printf text width": "select length(printf('%.*c', '2147483647', 'x'))",
    "printf blob width": "select length(printf('%.*c', cast('2147483647' as blob), 'x'))",
    "format text width": "select length(format('%*c', ' 2147483647', 'x'))",
    "rows of astral text": ROWS_60 + "select n, replace(hex(zeroblob(1000000)), '00', '😀') from c",
}


def test_hostile_queries_fail_fast_within_memory(site):
    """Each query fails with an error answer well inside the 3 s time limit, and Datasette's
    peak memory over all of them stays within PEAK_MB."""
    for name, query in HOSTILE_QUERIES.items():
        started = time.monotonic()
        status, data = sql(site, query)
        seconds = time.monotonic() - started
        assert status == 400, (name, data)
        assert data["error"], name
        assert seconds < 2.5, (name, seconds)
    peak = peak_mb(site.process.pid)
    print(f"Datasette peak after the hostile queries: {peak:.0f} MB")
    assert peak < PEAK_MB
    status, data = sql(site, "select count(*) as n from posts")
    assert status == 200  # the site still answers
    assert data["rows"] == [[1]]


def test_ordinary_uses_of_guarded_functions(site):
    """The guards leave SQLite's own results untouched for ordinary arguments."""
    query = (
        "select printf('%5.2f|%-3s|%d', 3.14159, 'ab', 42), instr('standards', 'dar'), "
        "replace('a-b-c', '-', '+'), trim('xxaxx', 'x'), format('%s %s', 'a', 'b'), "
        "printf('%.*c', 3, 'z')"
    )
    status, data = sql(site, query)
    assert status == 200, data
    assert data["rows"] == [[" 3.14|ab |42", 5, "a+b+c", "a", "a b", "zzz"]]


def timed_sql(site, query: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    status, data = sql(site, query)
    return status, data, time.monotonic() - started


def test_co_mentions_of_one_huge_list_is_bounded(site):
    """The site's own aggregate pairs at most CO_MENTION_ITEMS items of a row: 4,000 items
    (8 million pairs, built in one call that the time limit cannot interrupt) answer at once."""
    items = "with recursive c(n) as (select 1 union all select n + 1 from c limit 4000) "
    pairs = "length(co_mentions((select json_group_array(n) from c), null))"
    query = items + f"select {pairs} as n from (select 1)"
    status, data, seconds = timed_sql(site, query)
    print(f"co_mentions of 4,000 items: {seconds:.2f} s, peak {peak_mb(site.process.pid):.0f} MB")
    assert status == 200, data
    assert seconds < 2.5, seconds
    assert peak_mb(site.process.pid) < PEAK_MB


def test_co_mentions_stops_past_its_pairs_budget(site):
    """Rows of 200 distinct items each: past the budget of pairs the aggregate answers NULL
    instead of growing; a few rows of a few items still count (control)."""
    rows = "with recursive r(k) as (select 0 union all select k + 1 from r limit 10), "
    rows += "i(n) as (select 1 union all select n + 1 from i limit 200) "
    lists = "(select json_group_array(k * 1000 + n) as items from r, i group by k)"
    status, data, seconds = timed_sql(site, rows + f"select co_mentions(items, null) from {lists}")
    assert status == 200, data
    assert data["rows"] == [[None]]
    assert seconds < 2.5, seconds
    lists = """(select '["a", "b"]' as x union all select '["b", "c", "a"]')"""
    status, data = sql(site, f"select co_mentions(x, null) from {lists}")
    assert json.loads(data["rows"][0][0]) == [["a", "b", 2], ["a", "c", 1], ["b", "c", 1]]


# --- bad parameters, headers, robots.txt -----------------------------------------------------

BAD_PARAMETERS = [
    "_sort=nosuch",
    "_sort_desc=nosuch",
    "_sort=%3Cb%3Ebold%3C%2Fb%3E",
    "_sort=title&_sort_desc=published",
]


@pytest.mark.parametrize("query", BAD_PARAMETERS)
@pytest.mark.parametrize("path", ["/news/posts", "/news/posts.json"])
def test_bad_sort_answers_400(site, path, query):
    status, _, body = get(f"{site.url}{path}?{query}")
    assert status == 400
    assert b"Cannot" in body
    if not path.endswith(".json"):  # JSON carries the text as it is, as application/json
        assert b"<b>bold</b>" not in body
    assert "Traceback" not in log_of(site)


PAGES = [
    "/",
    "/news",
    "/news/posts",
    "/news/posts?_search=standards",
    "/-/dashboards/overview",
    "/assets/standards-news.css",
    "/robots.txt",
    "/nosuch",
    "/news/posts?_sort=nosuch",
    "/news?sql=select+1",
]


@pytest.mark.parametrize("page", PAGES)
def test_security_headers_on_every_page(site, page):
    _, headers, _ = get(site.url + page)
    assert headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_search_query_not_echoed_into_headers(site):
    words = " ".join(f"w{i:05d}" for i in range(2000))  # 14 KB of query, under h11's 16 KB
    for path in ("/news/posts?", "/news/search?"):
        query = urllib.parse.urlencode({"_search": words, "q": words})
        status, headers, _ = get(site.url + path + query)
        assert status in (200, 400), status
        assert sum(len(k) + len(v) for k, v in headers.items()) < 4000, headers.keys()


def test_long_redirect_answers_414(site):
    """Datasette's trailing-slash redirect repeats the query in Location: refused whole."""
    query = urllib.parse.urlencode({"_search": "w" * 12000})
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30)
    connection.request("GET", "/news/posts/?" + query)  # not followed, unlike urlopen
    answer = connection.getresponse()
    status, headers = answer.status, {k.lower(): v for k, v in answer.getheaders()}
    connection.close()
    assert status == 414, status
    assert sum(len(k) + len(v) for k, v in headers.items()) < 4000, headers.keys()
    assert headers["x-content-type-options"] == "nosniff"


LONG_NAMES_AND_BAD_THROUGH = [
    ("/-/static/" + "a" * 300, 404),
    ("/dumps/" + "a" * 300 + "/", 404),
    ("/assets/" + "a" * 300, 404),
    ("/news/posts?_through=x", 400),
    ("/news/posts?_through=" + urllib.parse.quote('{"table":1}'), 400),
    ("/news/posts.json?_through=" + urllib.parse.quote("[1, 2]"), 400),
]


@pytest.mark.parametrize(("path", "expected"), LONG_NAMES_AND_BAD_THROUGH)
def test_long_names_and_bad_through_answer_without_traceback(site, path, expected):
    status, _, body = get(site.url + path)
    assert status == expected, body[:300]
    if expected == 400:
        assert b"_through" in body
    assert "Traceback" not in log_of(site)


def test_short_link_header_kept(site):
    """Control: the alternate-JSON hint stays where it is short."""
    _, headers, _ = get(site.url + "/news/posts?_search=standards")
    assert "posts.json?_search=standards" in headers["link"]


def test_robots_txt(site):
    status, headers, body = get(site.url + "/robots.txt")
    assert status == 200
    assert headers["content-type"].startswith("text/plain")
    lines = body.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /news?" in lines  # arbitrary SQL
    assert "Disallow: /news/posts?" in lines


def test_robots_txt_configurable(small_db):
    from datasette.app import Datasette

    metadata = metadata_for(small_db)
    metadata["plugins"]["standards-news"]["robots_txt"] = "User-agent: *\nDisallow: /{database}/x"
    ds = Datasette([str(small_db)], metadata=metadata, template_dir=str(TEMPLATES))
    answer = asyncio.run(ds.client.get("/robots.txt"))
    assert answer.text == "User-agent: *\nDisallow: /news/x\n"


# --- stdnews serve ---------------------------------------------------------------------------


def start_serve(db_path: Path, port: int, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve", "--db", str(db_path), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def wait_up(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("serve did not start")


def test_port_in_use_one_line_before_serving(small_db):
    with ServedSite(small_db) as other:
        started = time.monotonic()
        result = stdnews("serve", "--db", str(small_db), "--port", str(other.port), timeout=60)
        seconds = time.monotonic() - started
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("stdnews serve: ")
    assert "in use" in lines[0]
    assert str(other.port) in lines[0]
    assert "serving" not in result.stderr.lower()
    assert seconds < 8, seconds


def test_serve_refuses_without_the_plugins(small_db):
    """An environment where the entry points are not registered (installed before they were)
    is told to reinstall, in one line, instead of serving pages that fail."""
    from click.testing import CliRunner
    from datasette.plugins import pm

    from pipeline.cli import cli

    taken = socket.socket()  # were the plugins not checked first, serving would stop here
    taken.bind(("127.0.0.1", 0))
    port = str(taken.getsockname()[1])
    plugin = pm.unregister(name="standards_news")
    try:
        result = CliRunner().invoke(cli, ["serve", "--db", str(small_db), "--port", port])
    finally:
        pm.register(plugin, name="standards_news")
        taken.close()
    assert result.exit_code == 1, result.output
    assert "plugins are not installed" in result.output
    assert "make install" in result.output
    assert "serving" not in result.output.lower()


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_port_out_of_range(small_db, port):
    result = stdnews("serve", "--db", str(small_db), "--port", port, timeout=60)
    assert result.returncode == 2
    assert "Invalid value for '--port'" in result.stderr
    assert "datasette" not in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_unusable_database_one_line(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all " * 500)
    result = stdnews("serve", "--db", str(bad), "--port", str(free_port()), timeout=60)
    assert result.returncode == 8, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert str(bad) in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_cleanly_and_leaves_no_temporary_files(small_db, tmp_path, sig):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    port = free_port()
    process = start_serve(small_db, port, env={"TMPDIR": str(tmp)})
    try:
        wait_up(port, process)
        assert get(f"http://127.0.0.1:{port}/news/posts")[0] == 200
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "leaked" not in stderr, stderr
    assert "Traceback" not in stderr
    assert list(tmp.iterdir()) == []


def test_serve_read_only_database(small_db, tmp_path):
    """A file that cannot be written (chattr +i, as a read-only mount or a downloaded dump) is
    served as it is: nothing migrated, nothing written."""
    db_path = tmp_path / "frozen.db"
    shutil.copy(small_db, db_path)
    if subprocess.run(["chattr", "+i", str(db_path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not allowed here")
    port = free_port()
    try:
        assert not os.access(db_path, os.W_OK)
        process = start_serve(db_path, port)
        try:
            wait_up(port, process)
            status, _, body = get(f"http://127.0.0.1:{port}/frozen/posts.json?_shape=array")
            assert status == 200
            assert [row["id"] for row in json.loads(body)] == [hostile_post().id]
        finally:
            process.terminate()
            _, stderr = process.communicate(timeout=30)
        assert process.returncode == 0, stderr
        assert "readonly" not in stderr, stderr
    finally:
        subprocess.run(["chattr", "-i", str(db_path)], check=True)
