"""Is a source broken? Figures and verdict of one spider run, for its `crawls` row.

A layout change rarely raises an error: it shows as a listing with no articles or as articles
without a title or a date. These thresholds turn such silence into a status an operator sees.
"""

from __future__ import annotations

from collections import Counter

# Below this share of articles with a publication date, the date selectors have likely broken.
MIN_DATE_COVERAGE = 0.8
# Above this share of failed downloads/parses, the source is unhealthy.
MAX_ERROR_RATE = 0.2


def assess(stats: dict, counts: Counter, discovery: dict[str, int] | None = None) -> dict:
    """The `crawls` row figures and status ("ok" or "broken") of one run.

    `discovery` maps each discovery start URL that answered to the article links it gave.
    """
    discovered = stats.get("stdnews/articles_discovered", 0)
    saved = counts["new"] + counts["updated"] + counts["unchanged"]
    errors = stats.get("log_count/ERROR", 0) + counts["rejected"]
    warnings = [
        f"{url} answered but gave no article links: layout changed?"
        for url, links in (discovery or {}).items()
        if links == 0
    ]
    if discovered == 0:
        warnings.append("discovery found zero articles: listing, feed or API layout changed?")
    elif saved == 0:
        warnings.append(f"{discovered} articles discovered but none saved")
    if saved and counts["with_date"] / saved < MIN_DATE_COVERAGE:
        warnings.append(f"only {counts['with_date']}/{saved} posts have a publication date")
    if discovered and errors / discovered > MAX_ERROR_RATE:
        warnings.append(f"{errors} errors for {discovered} articles")
    broken = discovered == 0 or saved == 0 or bool(warnings)
    return {
        "status": "broken" if broken else "ok",
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        "articles_discovered": discovered,
        "items": stats.get("item_scraped_count", 0),
        "new_posts": counts["new"],
        "updated_posts": counts["updated"],
        "unchanged_posts": counts["unchanged"],
        "errors": errors,
        "warnings": warnings,
    }
