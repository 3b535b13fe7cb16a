"""Benchmark: peak memory of a crawl whose one article is a 12 MB page (under DOWNLOAD_MAXSIZE).

The mirror is the bundled snapshot's BIPM site with one of its articles grown, at run time, to a
page of about 12 MB: the article's own layout with tens of thousands of generated paragraphs in
its body. `stdnews crawl bipm --replay` of it runs as a subprocess; the peak RSS (VmHWM, read
from /proc while they run) of the crawl process and of its normalization worker is reported,
and their sum is held to the crawl's memory target.

    .venv/bin/python bench/memory.py [--megabytes 12]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import results  # noqa: E402

SNAPSHOT = ROOT / "data" / "snapshot"
HOST = "www.bipm.org"
ARTICLE = "en/-/2022-12-19-si-prefixes"  # its body is div.news-detail__content
TARGET_MB = 300  # the crawl and its worker together
VOCABULARY = (
    "measurement units laboratories calibration traceability metrology constant kilogram "
    "second metre kelvin ampere mole candela comparison uncertainty national institutes "
    "committee consultative meeting report results agreement network quantum clocks time "
    "scale frequency standard reference materials chemistry ionizing radiation mass length "
    "temperature electricity photometry acoustics vibration capacity building training"
)
WORDS = VOCABULARY.split()


def paragraph(rng: random.Random) -> str:
    """A paragraph of generated sentences (written here, copied from no site)."""
    sentences = []
    for _ in range(rng.randint(4, 8)):
        words = rng.choices(WORDS, k=rng.randint(8, 16))
        sentences.append(" ".join(words).capitalize() + ".")
    return "<p>" + " ".join(sentences) + "</p>\n"


def huge_mirror(out: Path, megabytes: float = 12, seed: int = 15) -> str:
    """The snapshot's BIPM site under `out`, its article ARTICLE grown to about `megabytes` MB;
    returns the article's URL."""
    shutil.copytree(SNAPSHOT / HOST, out / HOST)
    page = out / HOST / ARTICLE
    html = page.read_text("utf-8")
    rng, chunks, size = random.Random(seed), [], 0
    while size < megabytes * 2**20:
        chunks.append(paragraph(rng))
        size += len(chunks[-1])
    opening = re.search(r'<div class="news-detail__content"[^>]*>', html)
    grown = html[: opening.end()] + "".join(chunks) + html[opening.end() :]
    page.write_text(grown, "utf-8")
    return f"https://{HOST}/{ARTICLE}"


def descendants(pid: int) -> list[int]:
    """The process and every process below it (from /proc)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue  # ended meanwhile
    return found


def high_water_kb(pid: int) -> int | None:
    """VmHWM (peak resident memory) of a live process, in KB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+)", status)
    return int(found[1]) if found else None


def watch(pid: int, peaks: dict[int, int], names: dict[int, str]) -> None:
    """Each process's last VmHWM (it only grows), every 0.05 s while the tree runs."""
    while Path(f"/proc/{pid}/status").exists():
        for current in descendants(pid):
            kb = high_water_kb(current)
            if kb:
                peaks[current] = max(peaks.get(current, 0), kb)
                if current not in names:
                    try:
                        names[current] = Path(f"/proc/{current}/cmdline").read_text()
                    except OSError:
                        names[current] = "?"
        time.sleep(0.05)


def crawl_peaks(mirror: Path, db_path: Path) -> dict:
    """Peak MB of the crawl process, of its largest other process (the normalization worker),
    and their sum, for `stdnews crawl bipm --replay mirror`."""
    command = [
        sys.executable,
        "-m",
        "pipeline",
        "crawl",
        "bipm",
        "--replay",
        str(mirror),
        "--db",
        str(db_path),
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks: dict[int, int] = {}
    names: dict[int, str] = {}
    watcher = threading.Thread(target=watch, args=(process.pid, peaks, names), daemon=True)
    watcher.start()
    _, stderr = process.communicate()
    watcher.join()
    crawl_kb = peaks.get(process.pid, 0)
    # The worker: a spawned interpreter (multiprocessing's resource tracker is small).
    others = [
        kb
        for pid, kb in peaks.items()
        if pid != process.pid and "resource_tracker" not in names[pid]
    ]
    worker_kb = max(others, default=0)
    return {
        "crawl_mb": round(crawl_kb / 1024, 1),
        "worker_mb": round(worker_kb / 1024, 1),
        "together_mb": round((crawl_kb + worker_kb) / 1024, 1),
        "exit_status": process.returncode,
        "stderr_tail": stderr.decode(errors="replace")[-300:] if process.returncode else "",
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=12)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="stdnews-memory-") as tmp:
        folder = Path(tmp)
        huge_mirror(folder / "site", args.megabytes)
        page_mb = (folder / "site" / HOST / ARTICLE).stat().st_size / 2**20
        figures = crawl_peaks(folder / "site", folder / "news.db")
    figures["page_mb"] = round(page_mb, 1)
    target = f"crawl + worker <= {TARGET_MB} MB"
    name = f"memory/huge-page-{args.megabytes:g}mb"
    # A crawl that failed, or whose worker was never seen, measured nothing.
    passed = figures["exit_status"] == 0 and figures["worker_mb"] > 0
    return [results.result(name, figures, target, passed and figures["together_mb"] <= TARGET_MB)]


if __name__ == "__main__":
    results.standalone(main())
