"""The analysts' Datasette: metadata, templates, plugin, static files and settings in one place.

`stdnews serve` and `stdnews demo` run Datasette in their own process (`serve_db`: the database
opened and the port bound before anything is printed, no temporary file, SIGINT and SIGTERM end
it cleanly); `datasette_args` gives the same site to the `datasette` command; tests build it
in-process with `make_datasette`, or run `stdnews serve` in the background with `ServedSite` (as
the benchmarks do). What is served:

- the database, read-only (Datasette opens it with `mode=ro`, immutable when this process
  cannot write the file; no canned query writes); or, with `stdnews serve --immutable COPY`, a
  copy `stdnews publish` wrote (pipeline/store/copies.py), always immutable and named `news`
  whatever its file's name, as each read replica serves it (pipeline/site/replicas.py);
- data/metadata.yml as Datasette reads it (titles, descriptions, facets, canned queries,
  dashboards), its database section keyed by the name Datasette gives the file (`metadata_for`:
  the one step between the file and what is served, none for a file named news.db);
- the plugins pyproject.toml registers in Datasette's entry points, which any Datasette of this
  environment loads: pipeline/site/plugin.py (ranked-search functions, the SQL of the canned
  queries built from the filters (pipeline/site/queries.py), list facets and filters,
  highlighted snippets, feeds) and pipeline/site/safety.py (what makes it safe to expose:
  refused functions, SERVING_LIMITS, security headers, robots.txt);
- data/templates/ (home page with the dumps, the post page), data/static/ at /assets/;
- the dumps folder beside the database (`<db folder>/dumps/`, written by `stdnews dump`) at
  /dumps/, listed on the home page from its manifests.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import click
import yaml

from pipeline.paths import DATA, METADATA, ROOT

TEMPLATES = DATA / "templates"
STATIC = DATA / "static"

# Safe to expose: every query stops after sql_time_limit_ms; facets get less (the posts table's
# facets, counted in one query, 0.8 s for each) so that a slow one is reported as timed out
# instead of holding the page. Suggested facets would try every column
# of a 100,000-row table on each page view, so they are off (the useful facets are configured).
SETTINGS = {
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 800,
    "suggest_facets": "off",
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "allow_download": "off",  # the database is served as dumps (stdnews dump), not live
}
# What one query may take (pipeline/site/safety.py). The time limit acts only
# between SQLite's steps, so what one function call can do is bounded by sizes: the longest
# string or blob SQLite builds (five times the longest stored body, normalize/bounds.py, at 4
# bytes a character), the longest LIKE/GLOB pattern (their cost is the text's length times the
# pattern's), the text times the pattern for the functions that compare at each position
# (instr, replace, trim), SQLite's heap (process-wide: soft, then hard), and the text and blobs
# one query hands to Python (up to max_returned_rows rows of them), in bytes as its answer
# writes them (JSON's escapes: 12 bytes for an emoji); a page of 50 posts of the longest
# bodies fits.
SERVING_LIMITS = {
    "length": 4 * 2**20,
    "like_pattern": 200,
    "text_times_pattern": 2 * 10**9,
    "soft_heap": 64 * 2**20,
    "hard_heap": 256 * 2**20,
    "result": 16 * 2**20,
}


def dumps_dir(db_path: Path) -> Path:
    """Where `stdnews dump` writes (pipeline.store.dumps.folder_for), served at /dumps/."""
    from pipeline.store.dumps import folder_for

    return folder_for(db_path)


def metadata_for(db_path: Path) -> dict:
    """data/metadata.yml for db_path: its database section and dashboards keyed by the name
    Datasette gives the file (the file says `news`: for data/news.db it is served as it is)."""
    metadata = yaml.safe_load(METADATA.read_text("utf-8"))
    name = Path(db_path).stem
    metadata["databases"] = {name: metadata["databases"]["news"]}
    plugins = metadata.setdefault("plugins", {})
    for dashboard in plugins.get("datasette-dashboards", {}).values():
        for part in (*dashboard.get("charts", {}).values(), *dashboard.get("filters", {}).values()):
            if part.get("db") == "news":
                part["db"] = name
    return metadata


def datasette_args(db_path: Path, metadata_path: Path, host: str, port: int) -> list[str]:
    """Arguments of `datasette` (after the executable) serving db_path as the site does; the
    dumps folder beside it is mounted at /dumps/ when it exists (serve_db creates it)."""
    dumps = dumps_dir(db_path)
    args = [
        "serve",
        str(db_path),
        "--metadata",
        str(metadata_path),
        "--host",
        host,
        "--port",
        str(port),
        "--template-dir",
        str(TEMPLATES),
        "--static",
        f"assets:{STATIC}",
    ]
    if dumps.is_dir():
        args += ["--static", f"dumps:{dumps}"]
    for name, value in SETTINGS.items():
        args += ["--setting", name, str(value)]
    return args


class Refused(click.ClickException):
    """Serving cannot start: one line `stdnews <command>: why`, and the exit status given."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        ctx = click.get_current_context(silent=True)
        click.echo(f"stdnews {ctx.info_name if ctx else 'serve'}: {self.message}", err=True)


PLUGINS = ("standards_news", "standards_news_safety")  # pyproject.toml's datasette entry points


def missing_plugins() -> list[str]:
    """The site's plugins Datasette did not find: an environment installed before they were
    entry points, or not installed at all, would serve pages that fail."""
    from datasette.plugins import pm

    return [name for name in PLUGINS if pm.get_plugin(name) is None]


def serve_db(db_path: Path, host: str, port: int, immutable: bool = False) -> None:
    """Serve db_path with Datasette in this process until Ctrl-C or SIGTERM (exit status 0).

    Nothing is printed as serving before the database opened and the port is this process's:
    a database that cannot be read or a port in use is one line (Refused). A writable database
    is brought up to the current schema first; a read-only one (a dump, a read-only mount) is
    served as it is, and so is a published copy (immutable: never written, whoever runs this;
    a symlink such as current.db is followed once, here, so that the process serves one copy
    from start to end even when the link moves on)."""
    from pipeline import store, verdicts

    if immutable:
        db_path = Path(db_path).resolve()
    try:
        if writable(Path(db_path)) and not immutable:
            store.open_db(db_path).close()  # an older database gets the current schema
        else:
            store.open_readonly(db_path).close()
    except store.DatabaseUnusable as error:
        raise Refused(str(error), verdicts.UNUSABLE) from None
    missing = missing_plugins()
    if missing:
        raise Refused(
            f"the site's Datasette plugins are not installed in this environment "
            f"({', '.join(missing)}): run `make install` (pip install -e .)",
            verdicts.FAILED,
        )
    listening = listen(host, port)
    try:
        datasette = make_datasette(db_path, serving=True, immutable=immutable)
    except BaseException:
        listening.close()
        raise
    click.echo(f"Datasette serving {db_path} on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    # A replica's requests are logged by nginx in front of it (docs/deploy/nginx.conf), with the
    # replica that answered: a second line per request in the journal would say nothing more.
    run_until_stopped(datasette, listening, access_log=not immutable)


def writable(db_path: Path) -> bool:
    """Can this process write the file and its folder (the WAL's companions)? If not, it is
    served as it is, immutable."""
    return os.access(db_path, os.W_OK) and os.access(db_path.parent, os.W_OK)


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port and listening, or Refused with why (in use, not allowed, no
    such address)."""
    from pipeline import verdicts

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise Refused(f"cannot listen on {host}: {error.strerror}", verdicts.USAGE) from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn, for quick restarts
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        why = (
            "already in use (another server?): stop it or choose another --port"
            if error.errno == errno.EADDRINUSE
            else error.strerror
        )
        raise Refused(f"cannot listen on {host}:{port}: {why}", verdicts.USAGE) from None
    return sock


def run_until_stopped(datasette, listening: socket.socket, access_log: bool = True) -> None:
    """Datasette's startup hooks, then uvicorn on the socket until SIGINT or SIGTERM, which end
    it cleanly (uvicorn finishes the answers under way, then raises the signal again: ended here
    with status 0 instead of a KeyboardInterrupt's traceback or a death by SIGTERM)."""
    import asyncio

    import uvicorn

    def stop(signum, frame):
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(datasette.invoke_startup())
        config = uvicorn.Config(
            datasette.app(), log_level="info", lifespan="on", access_log=access_log
        )
        uvicorn.Server(config).run(sockets=[listening])
    finally:
        listening.close()
        loop.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def make_datasette(db_path: Path, serving: bool = False, immutable: bool = False):
    """The same site as `stdnews serve`, in-process (for tests: `ds.client.get(...)`). Served
    (serving=True), a file this process cannot write is opened immutable, and the dumps folder
    is mounted only when it exists. An immutable copy (stdnews publish) is always opened
    immutable and served under the name news, whatever its file's name (news-<time>.db), so
    that every replica answers the same URLs; /-/databases.json names the file."""
    from datasette.app import Datasette

    from pipeline.store import read_immutable  # not writable, and no WAL beside it

    db_path = Path(db_path)
    dumps = dumps_dir(db_path)
    if serving and not immutable:
        with contextlib.suppress(OSError):  # a read-only folder has no dumps to serve
            dumps.mkdir(parents=True, exist_ok=True)
    read_only = immutable or (serving and read_immutable(db_path))
    datasette = Datasette(
        [] if read_only else [str(db_path)],
        immutables=[str(db_path)] if read_only else [],
        metadata=copy.deepcopy(metadata_for(Path(COPY_NAME + ".db") if immutable else db_path)),
        template_dir=str(TEMPLATES),
        static_mounts=[("assets", str(STATIC))]
        + ([("dumps", str(dumps))] if dumps.is_dir() or not serving else []),
        settings={k: _setting(v) for k, v in SETTINGS.items()},
    )
    if immutable:
        rename(datasette, db_path.stem, COPY_NAME)
    return datasette


# The name a published copy is served under: the name data/metadata.yml describes.
COPY_NAME = "news"


def rename(datasette, name: str, new_name: str) -> None:
    """Serve the database Datasette named `name` as `new_name` (its URLs, its metadata)."""
    if name != new_name:
        database = datasette.databases[name]
        datasette.remove_database(name)
        datasette.add_database(database, name=new_name)


def _setting(value):
    return {"on": True, "off": False}.get(value, value)


def read_dumps(folder: Path) -> list[dict]:
    """The dumps in folder, newest first: each manifest (see `stdnews dump`) with the files'
    sizes and SHA-256 as the manifest gives them. Unreadable manifests are skipped."""
    dumps = []
    for manifest in sorted(Path(folder).glob("standards-news-*.json"), reverse=True):
        if manifest.is_symlink() or manifest.name.startswith("standards-news-latest"):
            continue
        try:
            data = json.loads(manifest.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("files"), list):
            data["files"] = [f for f in data["files"] if isinstance(f, dict) and f.get("name")]
            dumps.append(data)
    return dumps


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def date_label(published: str | None, precision: str | None = None) -> str:
    """2021-05-10 -> 10 May 2021; 2020-09 -> September 2020; 2021 -> 2021."""
    if not published:
        return "date unknown"
    year, month, day = (published[:10].split("-") + [None, None])[:3]
    if month and (precision or "day") != "year":
        if day and precision == "day":
            return f"{int(day)} {MONTHS[int(month) - 1]} {year}"
        return f"{MONTHS[int(month) - 1]} {year}"
    return year


def filesize(size) -> str:
    size = float(size or 0)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"


def free_port() -> int:
    """A loopback port free now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServedSite:
    """`stdnews serve` of a database in a child process on a free loopback port, until stop()
    (or the end of a `with`): what tests and benchmarks ask over real HTTP."""

    def __init__(self, db_path: Path, seconds: float = 120):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A file, not a pipe: a full pipe would block the server; closed by stop().
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipeline",
                "serve",
                "--db",
                str(db_path),
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            cwd=ROOT,
        )
        try:
            self._wait(seconds)
        except BaseException:
            self.stop()
            raise

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/-/versions.json", timeout=2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    self.log.seek(0)
                    raise RuntimeError(self.log.read().decode(errors="replace")) from None
                time.sleep(0.1)
        raise RuntimeError("Datasette did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
