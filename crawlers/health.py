"""Is a source broken? Figures and verdict of one spider run, for its `crawls` row.

A layout change rarely raises an error: it shows as a listing with no articles or as articles
without a title or a date. These thresholds turn such silence into a status an operator sees.
An incremental run that finds nothing new is not silence: its discovery pages answered 304 Not
Modified, or listed only known articles.
"""

from __future__ import annotations

import json
from collections import Counter

from crawlers import stats as keys

# Below this share of articles with a publication date, the date selectors have likely broken.
MIN_DATE_COVERAGE = 0.8
# Above this share of failed downloads/parses, the source is unhealthy.
MAX_ERROR_RATE = 0.2
# The run's one-word answers, most telling first (ties between reasons are broken this way).
DIAGNOSES = ("blocked", "unreachable", "gone", "changed", "broken", "ok")


def assess(
    stats: dict,
    counts: Counter,
    discovery: dict[str, int],
    limited: bool,
    stale: set[str] | frozenset = frozenset(),
) -> dict:
    """The `crawls` row figures, status ("ok" or "broken"), diagnosis and completeness of a run.

    `discovery` maps each discovery start URL that answered with a page to the article links it
    gave (known ones included); those that answered 304 are counted in the stats. `stale` names
    the start URLs whose page the site's own selectors no longer read though its links gave
    articles: a warning, not a failure. A run is complete when it was healthy, not `limited`
    (--limit, the canary's sample) and nothing failed: only then may the next run stop at the
    first discovery page with nothing new (pipeline/store/state.py).
    """
    discovery_304 = stats.get(keys.DISCOVERY_NOT_MODIFIED, 0)
    discovered = sum(discovery.values())
    requested = stats.get(keys.ARTICLES_REQUESTED, 0)
    saved = counts["new"] + counts["updated"] + counts["unchanged"]
    fetched = saved - counts["not_modified"]  # items that came with a page (not an article 304)
    failed = stats.get(keys.ARTICLES_FAILED, 0) - stats.get(keys.ARTICLES_REFUSED, 0)
    errors = own_errors(stats) + counts["rejected"] + failed
    kinds = failure_kinds(stats)
    changed = [url for url, links in discovery.items() if links == 0]
    warnings = [f"{url} answered but gave no article links: layout changed?" for url in changed]
    if discovered == 0 and not discovery_304:
        warnings.append(no_articles(kinds, answered=bool(discovery)))
    elif requested and saved + counts["gone"] + counts["older"] == 0:
        warnings.append(f"{requested} articles requested but none saved")
    if fetched and counts["with_date"] / fetched < MIN_DATE_COVERAGE:
        warnings.append(f"only {counts['with_date']}/{fetched} posts have a publication date")
    if requested and errors / requested > MAX_ERROR_RATE:
        warnings.append(f"{errors} errors for {requested} articles requested")
    refused = refusals(stats, kinds, requested)
    warnings += refused
    notes = [
        f"selector stale: the site's selectors read nothing on {url}; its links gave the articles"
        for url in sorted(stale)
    ]
    discovery_failed = stats.get(keys.DISCOVERY_FAILED, 0)
    return {
        "status": "broken" if warnings else "ok",
        "diagnosis": diagnose(
            bool(warnings), bool(changed), bool(refused), kinds, discovered, discovery_304
        ),
        "complete": int(not (warnings or limited or failed or discovery_failed)),
        "requests": stats.get(keys.REQUESTS, 0),
        "responses": stats.get(keys.RESPONSES, 0),
        "not_modified": stats.get(keys.STATUS_PREFIX + "304", 0),
        "articles_discovered": discovered,
        "articles_requested": requested,
        "items": stats.get(keys.ITEMS, 0),
        "new_posts": counts["new"],
        "updated_posts": counts["updated"],
        "unchanged_posts": counts["unchanged"],
        "gone_posts": counts["gone"],
        "errors": errors,
        "warnings": warnings + notes,
        "discovery_paths": json.dumps(discovery_paths(stats), sort_keys=True),
        "failure_kinds": json.dumps(kinds, sort_keys=True),
    }


def own_errors(stats: dict) -> int:
    """Exceptions raised by this spider's own callbacks. Scrapy's `log_count/ERROR` is not one
    source's: every crawler of the process counts every ERROR line of the others (four OECD
    failures made bipm, iec and iso broken too)."""
    return stats.get(keys.SPIDER_EXCEPTIONS, 0)


def discovery_paths(stats: dict) -> dict[str, int]:
    """Article links found by each discovery path: {"selector": 12, "links": 14, "feed": 10}."""
    paths = {
        key.removeprefix(keys.DISCOVERY_PREFIX): value
        for key, value in stats.items()
        if key.startswith(keys.DISCOVERY_PREFIX)
    }
    return {path: value for path, value in paths.items() if "_" not in path}


def failure_kinds(stats: dict) -> dict[str, dict[str, int]]:
    """Failed requests by kind and reason: {"discovery": {"blocked": 2}, "article": {...}}."""
    kinds: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        if key.startswith(keys.FAILED_PREFIX):
            kind, _, reason = key.removeprefix(keys.FAILED_PREFIX).partition("/")
            kinds.setdefault(kind, {})[reason] = value
    return kinds


def refusals(stats: dict, kinds: dict, requested: int) -> list[str]:
    """The site refused a discovery page we could not read elsewhere, or a good share of the
    articles (those the Internet Archive gave us included): the source is blocked."""
    pages = kinds.get("discovery", {}).get("blocked", 0)
    articles = kinds.get("article", {}).get("blocked", 0)
    archived = stats.get(keys.ARCHIVE_FOUND, 0)
    if not pages and not (requested and (articles + archived) / requested > MAX_ERROR_RATE):
        return []
    return [
        f"the site refused us (blocked): {articles} articles and {pages} discovery pages not "
        f"read; {archived} refused pages read from the Internet Archive instead"
    ]


def no_articles(kinds: dict, answered: bool) -> str:
    """Why discovery found nothing, in the operator's words (`answered`: some discovery page
    answered with a page, so its layout is the first suspect)."""
    reason = None if answered else dominant(kinds.get("discovery", {}))
    if reason == "blocked":
        return "discovery found zero articles: the site refused us (blocked: bot challenge or CDN)"
    if reason == "unreachable":
        return "discovery found zero articles: the site could not be reached (unreachable)"
    if reason == "gone":
        return "discovery found zero articles: every discovery page is gone (404/410)"
    return "discovery found zero articles: listing, feed or API layout changed?"


def dominant(reasons: dict[str, int]) -> str | None:
    """The reason most requests failed for (ties: the order of DIAGNOSES)."""
    if not reasons:
        return None
    return max(reasons, key=lambda r: (reasons[r], -DIAGNOSES.index(r) if r in DIAGNOSES else -99))


def diagnose(
    warned: bool, changed: bool, refused: bool, kinds: dict, discovered: int, discovery_304: int
) -> str:
    """One word for the run: ok; changed when a discovery page answered but gave nothing;
    blocked, unreachable or gone when the site kept discovery from answering (or refused many
    articles); broken for the other warnings (dates missing, errors, nothing saved)."""
    if not warned:
        return "ok"
    if changed:
        return "changed"  # a page answered and gave nothing: whatever else failed, that is ours
    if discovered == 0 and not discovery_304:
        reason = dominant(kinds.get("discovery", {}))
        return reason if reason in ("blocked", "unreachable", "gone") else "changed"
    if refused:
        return "blocked"
    reason = dominant(kinds.get("article", {}))
    return reason if reason in ("blocked", "unreachable") else "broken"


def responses_by_status(stats: dict) -> dict[str, int]:
    """{"200": 61, "304": 4, ...} from Scrapy's downloader stats."""
    return {
        key.removeprefix(keys.STATUS_PREFIX): value
        for key, value in sorted(stats.items())
        if key.startswith(keys.STATUS_PREFIX)
    }
