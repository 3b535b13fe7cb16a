"""Dated, checksummed SQLite dumps for researchers.

`VACUUM INTO` takes a consistent snapshot of the live database (a crawl may be writing it; a
file copy could tear), into a temporary name that is renamed only when complete. The database
is opened read-only (a downloaded dump, a read-only mount): a dump never writes to it, and one
that cannot be read or fails half-way leaves no file behind. The dump
gets the data dictionary as a table, a gzipped copy, a manifest (schema version, row counts,
date range per source) and a `.sha256` file that `sha256sum -c` verifies; `standards-news-
latest.*` point at the newest. Raw pages (news-raw.db) are never part of a dump.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from pipeline import __version__, store
from pipeline.store import dictionary
from pipeline.store.migrations import drop_pairs, migrations

PREFIX = "standards-news"
LATEST = f"{PREFIX}-latest"
# Internal bookkeeping, not data: near-duplicate indexes (bands, signatures), HTTP validators.
LEFT_OUT = ("simhash_bands", "minhash_signatures", "minhash_bands", "http_validators")


def folder_for(db_path: str | Path) -> Path:
    """Where a database's dumps go, and where `stdnews serve` offers them: dumps/ beside it."""
    return Path(db_path).resolve().parent / "dumps"


@dataclass
class Dump:
    name: str
    folder: Path
    manifest: dict

    def path(self, suffix: str) -> Path:
        return self.folder / f"{self.name}{suffix}"


def dump(db_path: Path, out: Path, day: str | None = None, progress=print) -> Dump:
    """Write standards-news-<day>.{db,db.gz,json,sha256} into out; returns what was written.

    Raises store.DatabaseUnusable (one line) for a missing, unreadable or corrupt database,
    before anything is written."""
    source = store.open_readonly(db_path)  # checked first: a bad file leaves no dumps folder
    now = datetime.now(UTC)
    name = f"{PREFIX}-{day or now.date().isoformat()}"
    result = Dump(name, out, {})
    database, partial = result.path(".db"), out / f".{name}.db.partial"
    try:
        out.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        progress(f"snapshot of {db_path} (VACUUM INTO)")
        snapshot(source, db_path, partial)
        manifest = prepare(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    os.replace(partial, database)
    progress(f"compressing {database.name}")
    compressed = gzip_file(database)
    files = [database, compressed]
    manifest = {
        "name": name,
        "generated_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "software_version": __version__,
        **manifest,
        "files": [describe(file) for file in files],
    }
    manifest_path = result.path(".json")
    write_atomic(manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    files.append(manifest_path)
    # The format sha256sum writes: "<hex>  <name>", so that `sha256sum -c` checks the files.
    sums = "".join(f"{sha256(f)}  {f.name}\n" for f in files)
    write_atomic(result.path(".sha256"), sums)
    point_latest(result)
    result.manifest = manifest
    return result


def snapshot(source: Database, db_path: Path, partial: Path) -> None:
    """VACUUM INTO partial; a database found corrupt on the way is store.DatabaseUnusable."""
    try:
        source.execute("VACUUM INTO ?", [str(partial)])
    except sqlite3.DatabaseError as error:
        if store.error_code(error) in (store.NOTADB, store.CORRUPT):
            raise store.unusable(Path(db_path), error) from None
        raise


def prepare(path: Path) -> dict:
    """Make the snapshot a self-contained research copy; returns its manifest facts."""
    db = Database(path)
    drop_pairs(db)  # the ranked search's word pairs: 2.4 times posts_fts; stdnews rebuilds them
    for table in LEFT_OUT:
        db[table].drop(ignore=True)
    dictionary.write(db)
    db.execute("PRAGMA journal_mode = DELETE")  # one file, whatever mode the live database uses
    applied = [m.name for m in migrations.applied(db)]
    facts = {
        "schema_version": applied[-1] if applied else None,
        "tables": {t: db[t].count for t in dictionary.public_tables(db) if t in db.table_names()},
        "sources": {
            source: {"posts": n, "first": first, "last": last}
            for source, n, first, last in db.execute(
                "select source, count(*), min(published), max(published) from posts "
                "group by source order by source"
            )
        },
    }
    db.execute("VACUUM")
    db.close()
    return facts


def gzip_file(path: Path) -> Path:
    target = path.with_name(path.name + ".gz")
    partial = target.with_name(f".{target.name}.partial")
    try:
        # mtime=0: the same database always gives the same bytes.
        with (
            path.open("rb") as raw,
            gzip.GzipFile(partial, "wb", compresslevel=6, mtime=0) as packed,
        ):
            shutil.copyfileobj(raw, packed, 1 << 20)
    except BaseException:
        partial.unlink(missing_ok=True)  # a full disk leaves no half file
        raise
    os.replace(partial, target)
    return target


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe(path: Path) -> dict:
    return {"name": path.name, "bytes": path.stat().st_size, "sha256": sha256(path)}


def write_atomic(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, "utf-8")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


def point_latest(dump: Dump) -> None:
    """standards-news-latest.* -> the files of this dump (relative symlinks, swapped atomically)."""
    for suffix in (".db", ".db.gz", ".json", ".sha256"):
        link = dump.folder / f"{LATEST}{suffix}"
        partial = dump.folder / f".{LATEST}{suffix}.partial"
        partial.unlink(missing_ok=True)
        partial.symlink_to(dump.path(suffix).name)
        os.replace(partial, link)
