"""Is a source broken? Figures and verdict of one spider run, for its `crawls` row.

A layout change rarely raises an error: it shows as a listing with no articles or as articles
without a title or a date. These thresholds turn such silence into a status an operator sees.
An incremental run that finds nothing new is not silence: its discovery pages answered 304 Not
Modified, or listed only known articles.
"""

from __future__ import annotations

from collections import Counter

# Below this share of articles with a publication date, the date selectors have likely broken.
MIN_DATE_COVERAGE = 0.8
# Above this share of failed downloads/parses, the source is unhealthy.
MAX_ERROR_RATE = 0.2
STATUS_PREFIX = "downloader/response_status_count/"


def assess(stats: dict, counts: Counter, discovery: dict[str, int], limited: bool) -> dict:
    """The `crawls` row figures, status ("ok" or "broken") and completeness of one run.

    `discovery` maps each discovery start URL that answered with a page to the article links it
    gave (known ones included); those that answered 304 are counted in the stats. A run is complete
    when it was healthy, not `limited` (--limit, the canary's sample) and nothing failed: only
    then may the next run stop at the first discovery page with nothing new (pipeline/state.py).
    """
    discovery_304 = stats.get("stdnews/discovery_not_modified", 0)
    discovered = sum(discovery.values())
    requested = stats.get("stdnews/articles_requested", 0)
    saved = counts["new"] + counts["updated"] + counts["unchanged"]
    fetched = saved - counts["not_modified"]  # items that came with a page (not an article 304)
    failed = stats.get("stdnews/articles_failed", 0) - stats.get("stdnews/articles_refused", 0)
    errors = stats.get("log_count/ERROR", 0) + counts["rejected"] + failed
    warnings = [
        f"{url} answered but gave no article links: layout changed?"
        for url, links in discovery.items()
        if links == 0
    ]
    if discovered == 0 and not discovery_304:
        warnings.append("discovery found zero articles: listing, feed or API layout changed?")
    elif requested and saved + counts["gone"] == 0:
        warnings.append(f"{requested} articles requested but none saved")
    if fetched and counts["with_date"] / fetched < MIN_DATE_COVERAGE:
        warnings.append(f"only {counts['with_date']}/{fetched} posts have a publication date")
    if requested and errors / requested > MAX_ERROR_RATE:
        warnings.append(f"{errors} errors for {requested} articles requested")
    discovery_failed = stats.get("stdnews/discovery_failed", 0)
    return {
        "status": "broken" if warnings else "ok",
        "complete": int(not (warnings or limited or failed or discovery_failed)),
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        "not_modified": stats.get(STATUS_PREFIX + "304", 0),
        "articles_discovered": discovered,
        "articles_requested": requested,
        "items": stats.get("item_scraped_count", 0),
        "new_posts": counts["new"],
        "updated_posts": counts["updated"],
        "unchanged_posts": counts["unchanged"],
        "gone_posts": counts["gone"],
        "errors": errors,
        "warnings": warnings,
    }


def responses_by_status(stats: dict) -> dict[str, int]:
    """{"200": 61, "304": 4, ...} from Scrapy's downloader stats."""
    return {
        key.removeprefix(STATUS_PREFIX): value
        for key, value in sorted(stats.items())
        if key.startswith(STATUS_PREFIX)
    }
