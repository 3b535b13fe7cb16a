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
    return {"cpu": model, "cores": os.cpu_count(), "memory_gb": round(memory, 1),
            "python": platform.python_version(),
            "at": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip


def result(name: str, figures: dict, target: str, passed: bool) -> dict:
    return {"name": name, "figures": figures, "target": target, "pass": bool(passed)}


def save(new: list[dict], path: Path = RESULTS, replace: bool = False) -> list[dict]:
    """Merge by name into results.json (other benchmarks' entries are kept, unless replace:
    bench/run.py writes one whole run, quick or full); returns all."""
    previous = json.loads(path.read_text()) if path.exists() and not replace else []
    names = {r["name"] for r in new}
    merged = [r for r in previous if r["name"] not in names] + new
    path.write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n")
    return merged


def brief(figures: dict, limit: int = 110) -> str:
    """The figures on one line, nested objects flattened."""
    parts = []
    for key, value in figures.items():
        if isinstance(value, dict):
            parts += [f"{key}.{k}={v}" for k, v in value.items() if not isinstance(v, dict)]
        elif not isinstance(value, list):
            parts.append(f"{key}={value}")
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table(rows: list[dict]) -> str:
    lines = [f"{'benchmark':<34} {'pass':<5} {'target':<44} figures"]
    for row in rows:
        lines.append(f"{row['name']:<34} {'yes' if row['pass'] else 'NO':<5} "
                     f"{row['target'][:44]:<44} {brief(row['figures'])}")  # fmt: skip
    return "\n".join(lines)
