"""A blocked mirror, built at test time from a copy of the snapshot (issue 14, section 5).

www.oecd.org and www.iso.org answer a Cloudflare-style 403 challenge to every request, robots.txt
included (`403 *` in their `.responses`); a loopback stand-in for the Internet Archive holds
copies of SOME of their pages, under the two hosts crawlers/archive.py asks:

* `archive.org/wayback/available?url=<page URL>`: the availability API's JSON (closest copy);
* `web.archive.org/web/<timestamp>id_/<page URL>`: the copy's original bytes.

Every discovery page has a copy (discovery must go on); every other article of a host has one;
one copy is itself a challenge page (the archive captured the block: not a usable copy), one
capture's `id_` address redirects to a nearby capture, and one page has a copy of a 404 only.

`python -m tests.blocked_mirror DIR` builds one for a manual `stdnews crawl --replay DIR`.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.normalize.sources import source_for_url
from pipeline.normalize.urls import canonical_url
from pipeline.paths import SNAPSHOT

BLOCKED_HOSTS = ("www.oecd.org", "www.iso.org")
# Modelled on Cloudflare's managed challenge (sites.md section 00): the title, the
# "enable JavaScript and cookies" notice, the challenge options script. Our own text.
CHALLENGE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta name="robots" content="noindex,nofollow"></head><body class="no-js">
<div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">{host}</h1>
<h2 class="h2" id="challenge-running">Checking that this visit comes from a person.</h2>
<noscript><div class="h2">Enable JavaScript and cookies to continue</div></noscript>
</div></div><script>window._cf_chl_opt={{cvId: '3', cType: 'managed', cRay: '0000'}};</script>
</body></html>
"""
ARCHIVE_ROBOTS = "User-agent: *\nDisallow: /control/\nDisallow: /report/\n"
WAYBACK_ROBOTS = "User-agent: *\nDisallow: /save/\n"


@dataclass
class Mirror:
    root: Path
    copies: dict[str, str] = field(default_factory=dict)  # canonical article URL -> timestamp
    unusable: set[str] = field(default_factory=set)  # "copies" that are no page (challenge, 404)
    uncopied: set[str] = field(default_factory=set)  # articles the archive lacks


def page_urls(root: Path, host: str) -> list[str]:
    """The https URL of every page file of a host in a wget-style mirror."""
    base = root / host
    return sorted(
        f"https://{host}/{file.relative_to(base).as_posix()}".removesuffix("index.html")
        for file in base.rglob("*")
        if file.is_file() and not file.name.startswith(".") and file.name != "robots.txt"
    )


def page_file(root: Path, url: str) -> Path:
    host, _, path = url.removeprefix("https://").partition("/")
    return root / host / (path + "index.html" if path.endswith("/") or not path else path)


def availability(url: str, timestamp: str | None, status: str = "200") -> str:
    """The Wayback Machine's availability answer (archived_snapshots.closest), or none."""
    if timestamp is None:
        return json.dumps({"url": url, "archived_snapshots": {}})
    closest = {
        "status": status,
        "available": True,
        "timestamp": timestamp,
        "url": f"http://web.archive.org/web/{timestamp}/{url}",
    }
    return json.dumps({"url": url, "archived_snapshots": {"closest": closest}})


def write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)


def block(root: Path, host: str, robots: bool = True) -> None:
    """The host answers a 403 challenge to everything (robots=False: robots.txt still 200)."""
    write(root / host / ".403.html", CHALLENGE.format(host=host))
    if robots:
        rules = "403 *\n"
    else:
        rules = "".join(f"403 /{url.split('/', 3)[3]}\n" for url in page_urls(root, host))
    write(root / host / ".responses", rules)


def archive(root: Path, url: str, body: bytes | None, timestamp: str, status: str = "200"):
    """The stand-in archive's answers for url: availability JSON and the id_ copy."""
    write(available(root, url), availability(url, timestamp, status))
    if body is not None:
        write(page_file(root / "web.archive.org", f"https://web/{timestamp}id_/{url}"), body)


def available(root: Path, url: str) -> Path:
    """The availability answer's file (a URL ending in "/" names a folder: its index.html)."""
    return root / "archive.org" / f"wayback/available?url={url}{'index.html' * url.endswith('/')}"


def build(root: Path, robots: bool = True) -> Mirror:
    """The blocked mirror at root (a fresh copy of the snapshot)."""
    shutil.copytree(SNAPSHOT, root)
    mirror = Mirror(root)
    write(root / "archive.org" / "robots.txt", ARCHIVE_ROBOTS)
    write(root / "web.archive.org" / "robots.txt", WAYBACK_ROBOTS)
    for host in BLOCKED_HOSTS:
        articles = 0
        for n, url in enumerate(page_urls(root, host)):
            file = page_file(root, url)
            timestamp = f"2026{n % 12 + 1:02d}{n % 27 + 1:02d}0930{n % 60:02d}"
            source = source_for_url(url)
            if not (source and source.is_article(canonical_url(url))):
                archive(root, url, file.read_bytes(), timestamp)  # discovery goes on
                continue
            articles += 1
            key = canonical_url(url)
            if articles % 2:
                mirror.uncopied.add(key)
                write(available(root, url), availability(url, None))
            elif articles == 2:  # the archive captured the challenge, not the page
                archive(root, url, CHALLENGE.format(host=host).encode(), timestamp)
                mirror.unusable.add(key)
            elif articles == 4:  # only a 404 was captured: the API says so
                archive(root, url, None, timestamp, status="404")
                mirror.unusable.add(key)
            elif articles == 6:  # the id_ address redirects to a nearby capture
                later = timestamp[:-2] + "59"
                archive(root, url, file.read_bytes(), later)
                target = f"https://web.archive.org/web/{later}id_/{url}"
                rule = f"302 /web/{timestamp}id_/{url} {target}\n"
                write(available(root, url), availability(url, timestamp))
                with (root / "web.archive.org" / ".responses").open("a") as rules:
                    rules.write(rule)
                mirror.copies[key] = later
            else:
                archive(root, url, file.read_bytes(), timestamp)
                mirror.copies[key] = timestamp
        block(root, host, robots)
    return mirror


if __name__ == "__main__":
    made = build(Path(sys.argv[1]))
    print(f"{made.root}: {len(made.copies)} archived articles, {len(made.uncopied)} without")
