"""Exit statuses of the commands, in one place, and how each source's answer maps to them.

A cron job reads one number, so each answer an operator must tell apart gets its own:

    0  ok: every source is healthy (a stale selector is a warning only)
    1  failed: the run itself failed (a spider did not finish)
    2  usage: an unknown option, source, date or file
    3  changed or broken: discovery answered but gave no article, or dates are missing
    4  locked: another crawl is writing this database (nothing was done)
    5  blocked: the site refused us (403/429, a bot challenge, a CDN's refusal page)
    6  unreachable: DNS, refused connections, timeouts, TLS or 5xx (the site is down)
    7  gone: every discovery page answered 404/410 (the news moved)
    8  unusable database: not a database (corrupt), unreadable, or read-only for a write
    130  interrupted: Ctrl-C or SIGTERM; its crawls rows say so, and the next run catches up

Several sources: the most serious answer wins, in the order 130, 1, 3, 7, 5, 6, 0 (SEVERITY: an
interrupted run first, then what needs our code fixed, a passing outage last). 2, 4 and 8 stop
the whole command, on one line.
"""

from __future__ import annotations

import json

OK = 0
FAILED = 1
USAGE = 2
BROKEN = 3
LOCKED = 4
BLOCKED = 5
UNREACHABLE = 6
GONE = 7
UNUSABLE = 8
# 128 + SIGINT, what a shell reports after Ctrl-C; SIGTERM gives the same (one answer).
INTERRUPTED = 130

BY_DIAGNOSIS = {
    "ok": OK,
    "changed": BROKEN,
    "broken": BROKEN,
    "blocked": BLOCKED,
    "unreachable": UNREACHABLE,
    "gone": GONE,
}
# Most serious first: a run cut short, what needs our code fixed, then what needs a look, then
# what passes.
SEVERITY = (INTERRUPTED, FAILED, BROKEN, GONE, BLOCKED, UNREACHABLE, OK)
# A crawl that ended with one of these wrote what it could: its database is worth publishing to
# the read replicas (`stdnews crawl --publish`); a locked, interrupted or failed one is not.
PUBLISHABLE = (OK, BROKEN, GONE, BLOCKED, UNREACHABLE)


def diagnosis(row: dict | None) -> str:
    """A crawls row's one-word answer: ok, changed, broken, blocked, unreachable, gone;
    "interrupted" (Ctrl-C, SIGTERM); "FAILED" when the spider did not finish."""
    if row is not None and row["status"] == "interrupted":
        return "interrupted"
    if row is None or row["status"] not in ("ok", "broken"):
        return "FAILED"
    return row.get("diagnosis") or row["status"]


def row_status(row: dict | None) -> int:
    """The exit status a source's crawls row gives (its diagnosis above)."""
    answer = diagnosis(row)
    return INTERRUPTED if answer == "interrupted" else exit_status(answer)


def exit_status(diagnosis: str | None) -> int:
    """A source's answer ("ok", "blocked", ...) as an exit status; anything else: the spider
    did not finish."""
    return BY_DIAGNOSIS.get(diagnosis or "", FAILED)


def worse(status: int, other: int) -> int:
    """The more serious of two exit statuses."""
    return min(status, other, key=SEVERITY.index)


def describe() -> str:
    """The list above, for --help texts and docs."""
    return "\n".join(line.strip() for line in __doc__.splitlines() if line[4:6].strip().isdigit())


def source_line(row: dict) -> str:
    """What one source's run did, on one line: its answer, what discovery found and how, what
    was stored, what failed and why."""
    paths = json.loads(row.get("discovery_paths") or "{}")
    via = ", ".join(f"{path} {n}" for path, n in sorted(paths.items(), key=lambda kv: -kv[1]))
    kinds = json.loads(row.get("failure_kinds") or "{}")
    failed = {}
    for reasons in kinds.values():
        for reason, n in reasons.items():
            failed[reason] = failed.get(reason, 0) + n
    refused = ", ".join(f"{n} {reason}" for reason, n in sorted(failed.items()))
    return (
        f"{row['source']}: {diagnosis(row)} - {row['articles_discovered']} articles discovered"
        f"{f' ({via})' if via else ''}, {row['new_posts']} new, {row['updated_posts']} updated, "
        f"{row['unchanged_posts']} unchanged, {row['gone_posts'] or 0} gone, "
        f"{row['errors']} errors, {row['requests']} requests "
        f"({row['not_modified'] or 0} not modified){f'; failed: {refused}' if refused else ''}"
    )
