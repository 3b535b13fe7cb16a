"""A crawl of the live sites with the network cut off: one line per source says "unreachable".

The real `stdnews crawl` runs (no replay) in a network namespace of its own with no interface
up (`unshare -rn`): no DNS, no route, as on a machine whose network is down.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlite_utils import Database

from pipeline import verdicts
from pipeline.normalize.sources import SOURCES
from pipeline.paths import ROOT


def cut_off() -> bool:
    try:
        return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not cut_off(), reason="needs `unshare -rn` (user and network namespaces) to cut the network"
)


def test_a_crawl_without_network_says_unreachable_for_every_source_within_a_minute(tmp_path):
    db_path = tmp_path / "news.db"
    started = time.monotonic()
    result = subprocess.run(
        ["unshare", "-rn", sys.executable, "-m", "pipeline", "crawl", "--db", str(db_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    took = time.monotonic() - started
    assert took < 60, took
    assert result.returncode == verdicts.UNREACHABLE, result.stdout + result.stderr
    for source in SOURCES:
        (line,) = [line for line in result.stdout.splitlines() if line.startswith(f"{source}: ")]
        assert line.startswith(f"{source}: unreachable - "), line
    assert "Traceback" not in result.stderr
    # One line per host given up, not one per request.
    assert len(result.stderr.splitlines()) <= 10, result.stderr
    db = Database(db_path)
    assert {row["diagnosis"] for row in db["crawls"].rows} == {"unreachable"}
    reasons = {row["reason"] for row in db["crawl_errors"].rows}
    assert reasons == {"unreachable"}
    assert db["posts"].count == 0
