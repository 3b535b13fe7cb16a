"""bench/results.json: one object per benchmark (name, figures, target, pass), and its table."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"


def machine() -> dict:
    """What the figures were measured on (they drift between shared machines)."""
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory, 1),
        "python": platform.python_version(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def result(name: str, figures: dict, target: str, passed: bool | None) -> dict:
    """One benchmark's entry; `passed` None for figures reported without a target."""
    return {
        "name": name,
        "figures": figures,
        "target": target,
        "pass": None if passed is None else bool(passed),
    }


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def save(new: list[dict], path: Path = RESULTS, replace: bool = False) -> list[dict]:
    """Merge by name into results.json (other benchmarks' entries are kept, unless replace:
    bench/run.py writes one whole run, quick or full); returns all."""
    previous = json.loads(path.read_text()) if path.exists() and not replace else []
    names = {r["name"] for r in new}
    merged = [r for r in previous if r["name"] not in names] + new
    path.write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n")
    return merged


def brief(figures: dict, limit: int = 160) -> str:
    """The figures on one line, nested objects flattened one level, lists as they are."""
    parts = []
    for key, value in figures.items():
        if isinstance(value, dict):
            parts += [f"{key}.{k}={v}" for k, v in value.items() if not isinstance(v, dict)]
        else:
            parts.append(f"{key}={value}")
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def verdict(row: dict) -> str:
    return {True: "yes", False: "NO", None: "–"}[row["pass"]]


def table(rows: list[dict]) -> str:
    width = max([len("benchmark"), *(len(row["name"]) for row in rows)])
    lines = [f"{'benchmark':<{width}} {'pass':<4} {'target':<44} figures"]
    for row in rows:
        lines.append(
            f"{row['name']:<{width}} {verdict(row):<4} "
            f"{row['target'][:44]:<44} {brief(row['figures'])}"
        )
    return "\n".join(lines)


def standalone(rows: list[dict]) -> None:
    """A benchmark module run on its own: its rows merged into results.json, and its table."""
    save(rows)
    print(table(rows))
