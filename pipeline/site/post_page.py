"""What the post page shows beyond the row: the body's structure, made safe again, and one chip
per tag name (a topic equal to one of the site's own tags shows once)."""

from __future__ import annotations

from markupsafe import Markup

from pipeline.normalize import structure


def body_markup(post: dict) -> Markup | None:
    """The stored body structure rebuilt through the allowlist (normalize/structure.py), as
    markup; None for a post without one (stored before it was kept, or from trafilatura)."""
    html = structure.sanitized(post.get("body_html"))
    return Markup(html) if html else None


def chips(tags: list[dict]) -> list[dict]:
    """One chip per tag name, in the given order, with every origin it has (site, topic)."""
    found: dict[str, dict] = {}
    for tag in tags:
        chip = found.setdefault(tag["name"].casefold(), {**tag, "origins": []})
        if tag["origin"] not in chip["origins"]:
            chip["origins"].append(tag["origin"])
    return list(found.values())
