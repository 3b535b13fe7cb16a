"""Every benchmark, beside its limit and its peers: `make bench` (full) or `make bench-quick`.

Writes bench/results.json (one object per benchmark: name, figures, target, pass; plus the
machine) and prints the table. Absolute times drift on shared machines, so where a natural
reference exists it is measured in the same run and the ratio reported (normalization beside
trafilatura, the crawl beside the server's raw capacity).

    .venv/bin/python bench/run.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import importlib  # noqa: E402

import results  # noqa: E402

# benchmark module (bench/<name>.py, whose main(argv) returns its results): quick, full arguments
# (quick None: the full run only)
QUICK_LIMIT_S = 60
PLAN = {
    "normalize": ([], []),
    "dates": ([], []),  # needs a corpus (STDNEWS_DATES_CORPUS): skipped without one
    "startup": (["--runs", "3"], []),
    "memory": (None, []),  # a crawl whose one article is a 12 MB page
    "discovery": (["--rounds", "5"], []),
    "crawl": (
        ["--articles", "500", "--storage", "500"],
        ["--articles", "5000", "--storage", "2000"],
    ),
    "datasette_scale": (
        ["--posts", "20000", "--repeat", "2"],
        ["--posts", "100000", "--posts", "1000000"],
    ),
    # A real redis-server / nginx on loopback (skipped without them); minutes each: full only.
    "frontier": (None, []),
    "replicas": (None, []),  # 1 and 2 replicas, and two rollouts under load
    # Near-duplicates: hashing beside normalize; look-up among 1,000,000 posts (minutes).
    "duplicates": (None, ["--posts", "1000000"]),
    # People with roles: the stage beside normalize() per post (seconds).
    "people": ([], []),
    # Bylines: the stage beside normalize() per page (seconds).
    "bylines": (["--repeat", "1"], []),
    # Stories across publishers: the clustering step per post, and at 200,000 posts (full only).
    "stories": (None, []),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quick variant (under 60 s)")
    parser.add_argument("--only", choices=sorted(PLAN), action="append", help="run only these")
    args = parser.parse_args()
    rows, started = [], time.perf_counter()
    for name, (quick, full) in PLAN.items():
        if (args.only and name not in args.only) or (args.quick and quick is None):
            continue
        print(f"== {name}", flush=True)
        rows += importlib.import_module(name).main(quick if args.quick else full)
    seconds = round(time.perf_counter() - started, 1)
    if args.quick and not args.only:
        limit = f"< {QUICK_LIMIT_S} s in all"
        rows.append(
            results.result("bench-quick", {"seconds": seconds}, limit, seconds < QUICK_LIMIT_S)
        )
    machine = results.machine()
    machine["variant"] = "quick" if args.quick else "full"
    machine["seconds"] = seconds
    if args.only:  # its rows replace theirs; the machine row says which parts were re-run
        machine["only"] = args.only
    results.save([*rows, results.result("machine", machine, "-", None)], replace=not args.only)
    print(f"\n{json.dumps(machine)}\n{results.table(rows)}")
    judged = [row for row in rows if row["pass"] is not None]
    failed = [row["name"] for row in judged if not row["pass"]]
    print(
        f"\ntargets met: {len(judged) - len(failed)} of {len(judged)}"
        + (f"; missed: {', '.join(failed)}" if failed else "")
    )


if __name__ == "__main__":
    main()
