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

Several sources: the most serious answer wins, in the order 1, 3, 7, 5, 6, 0 (what needs our code
fixed first, a passing outage last).
"""

from __future__ import annotations

OK = 0
FAILED = 1
USAGE = 2
BROKEN = 3
LOCKED = 4
BLOCKED = 5
UNREACHABLE = 6
GONE = 7

BY_DIAGNOSIS = {
    "ok": OK,
    "changed": BROKEN,
    "broken": BROKEN,
    "blocked": BLOCKED,
    "unreachable": UNREACHABLE,
    "gone": GONE,
}
# Most serious first: what needs our code fixed, then what needs a look, then what passes.
SEVERITY = (FAILED, BROKEN, GONE, BLOCKED, UNREACHABLE, OK)


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
