"""Complete the gold set: where each page is and the facts known by construction.

tests/gold/labels/<name>.json carry human labels (organizations, standards, committees, topics)
and the page's URL. This adds what the snapshot's posts define (publication date and precision,
language of the text) and the page: its file in data/snapshot/ and the SHA-256 it was labelled
on, so that the evaluation reads the snapshot's own file and refuses it once it has changed.
Run after labelling: `python tools/gold.py` stamps the labels that have no SHA-256 yet;
`python tools/gold.py iso-31 ...` stamps those pages again once their labels have been checked
against the changed page. Any other label whose page changed is listed, not stamped.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from build_snapshot import expected_date, load_posts  # noqa: E402

from crawlers.replay.server import candidates, read_rules  # noqa: E402
from pipeline.normalize.sources import source_for_url  # noqa: E402
from pipeline.normalize.urls import canonical_url  # noqa: E402
from pipeline.paths import GOLD, SNAPSHOT  # noqa: E402

FILES = {  # posts file -> language of its texts
    "iec": "en",
    "iec_wordpress": "en",
    "iec_newslog": "en",
    "bipm": "en",
    "bipm_fr": "fr",
    "iso": "en",
    "iso_translations": None,
    "oecd": "en",
    "oecd_fr": "fr",
    "oecd_legacy": "en",
}


def slug_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html").removesuffix(".htm")


def truth(url: str) -> dict:
    # Other addresses of a page (ISO members' mirrors, internal paths) -> its canonical URL, whose
    # path tells the language version: a mirror wraps the English article in its own UI language.
    url = canonical_url(url)
    source = source_for_url(url)
    generation = source.generation(url).name if source.generation(url) else None
    path_language = url.split("/")[3] if url.split("/")[3] in ("fr", "ru") else "en"
    english = {p["slug"]: p for p in load_posts("bipm")}
    for name, file_language in FILES.items():
        for post in load_posts(name):
            if post["slug"] != slug_of(url) or not name.startswith(source.id):
                continue
            language = file_language or post["lang"]
            if language != path_language:
                continue
            if name == "bipm_fr" and post["body"] == english[post["slug"]]["body"]:
                language = "en"  # bipm.org serves some French pages with the English text
            published, precision = expected_date(source.id, generation, post)
            return {"published": published, "published_precision": precision, "language": language}
    raise LookupError(f"no post for {url}")


def main(checked: list[str]) -> None:
    labels = sorted((GOLD / "labels").glob("*.json"))
    stamped, changed = 0, []
    for file in labels:
        label = json.loads(file.read_text("utf-8"))
        host, _, path = label["url"].removeprefix("https://").partition("/")
        status, _ = read_rules(SNAPSHOT, host).get("/" + path, (200, None))
        if status != 200:  # a refused page (OECD's 403s) or a redirect is no page to label
            raise SystemExit(f"{file.name}: the snapshot answers {status} for {label['url']}")
        (page, *_) = candidates(SNAPSHOT, host, "/" + path)
        sha256 = hashlib.sha256(page.read_bytes()).hexdigest()
        if label.get("sha256") not in (None, sha256) and file.stem not in checked:
            changed.append(file.stem)  # labelled on another text: to be checked, not stamped
            continue
        label.update(truth(label["url"]))
        label.update(page=page.relative_to(SNAPSHOT).as_posix(), sha256=sha256)
        file.write_text(json.dumps(label, ensure_ascii=False, indent=1) + "\n", "utf-8")
        stamped += 1
    print(f"{stamped} of {len(labels)} gold pages completed")
    if changed:
        print(
            "pages changed since labelled (check the labels, then name them): " + " ".join(changed)
        )


if __name__ == "__main__":
    main(sys.argv[1:])
