"""The analysts' Datasette: metadata, templates, plugin, static files and settings in one place.

`stdnews serve` and `stdnews demo` run Datasette as a process with `datasette_args`; tests build
the same instance in-process with `make_datasette`, or run `stdnews serve` in the background with
`ServedSite` (as the benchmarks do). What is served:

- the database, read-only (Datasette opens it with `mode=ro`; no canned query writes);
- data/metadata.yml (titles, descriptions, facets, canned queries, dashboards), its database
  section keyed by the name Datasette gives the file;
- data/templates/ (home page with the dumps, the post page), data/plugins/ (ranked-search
  function, list facets and filters, highlighted snippets, feeds), data/static/ at /assets/;
- the dumps folder beside the database (`<db folder>/dumps/`, written by `stdnews dump`) at
  /dumps/, listed on the home page from its manifests.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import click
import yaml

from pipeline.filters import expand
from pipeline.paths import DATA, METADATA, ROOT

TEMPLATES = DATA / "templates"
PLUGINS = DATA / "plugins"
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


def dumps_dir(db_path: Path) -> Path:
    """Where `stdnews dump` writes (pipeline.dumps.folder_for), served at /dumps/."""
    from pipeline.dumps import folder_for

    return folder_for(db_path)


def metadata_for(db_path: Path) -> dict:
    """data/metadata.yml for db_path: its database section and dashboards keyed by the name
    Datasette gives the file; the canned queries' {{name}}s written out (pipeline/filters.py)."""
    metadata = yaml.safe_load(METADATA.read_text("utf-8"))
    name = Path(db_path).stem
    metadata["databases"] = {name: metadata["databases"]["news"]}
    for query in metadata["databases"][name].get("queries", {}).values():
        query["sql"] = expand(query["sql"])
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
    args = ["serve", str(db_path), "--metadata", str(metadata_path), "--host", host,
            "--port", str(port), "--template-dir", str(TEMPLATES), "--plugins-dir", str(PLUGINS),
            "--static", f"assets:{STATIC}"]  # fmt: skip
    if dumps.is_dir():
        args += ["--static", f"dumps:{dumps}"]
    for name, value in SETTINGS.items():
        args += ["--setting", name, str(value)]
    return args


def write_metadata(db_path: Path) -> Path:
    """The metadata as a JSON file for the datasette process (it takes a path)."""
    path = Path(tempfile.mkdtemp(prefix="stdnews-")) / "metadata.json"
    path.write_text(json.dumps(metadata_for(db_path)), "utf-8")
    return path


def serve_db(db_path: Path, host: str, port: int) -> None:
    """Replace this process by Datasette serving db_path (Ctrl-C stops it)."""
    from pipeline.store import open_db

    open_db(db_path).close()  # bring an older database up to the current schema first
    dumps = dumps_dir(db_path)
    dumps.mkdir(parents=True, exist_ok=True)  # Datasette's --static needs the folder
    click.echo(f"Datasette serving {db_path} on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    metadata_path = write_metadata(db_path)
    args = [sys.executable, "-m", "datasette", *datasette_args(db_path, metadata_path, host, port)]
    os.execv(sys.executable, args)


def make_datasette(db_path: Path):
    """The same site as `stdnews serve`, in-process (for tests: `ds.client.get(...)`)."""
    from datasette.app import Datasette

    return Datasette(
        [str(db_path)],
        metadata=copy.deepcopy(metadata_for(db_path)),
        template_dir=str(TEMPLATES),
        plugins_dir=str(PLUGINS),
        static_mounts=[("assets", str(STATIC)), ("dumps", str(dumps_dir(db_path)))],
        settings={k: _setting(v) for k, v in SETTINGS.items()},
    )


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


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip


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
            [sys.executable, "-m", "pipeline", "serve", "--db", str(db_path), "--port",
             str(self.port)], stdout=subprocess.DEVNULL, stderr=self.log, cwd=ROOT,
        )  # fmt: skip
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
