"""The documentation holds to the code: docs/cli.md is what tools/cli_docs.py writes from the
commands' --help now, the exit statuses are tabled in that one page only, the README stays a
five-minute read, and no relative link points at a file that is not there."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from pipeline import verdicts
from pipeline.paths import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_LIMIT = 8192  # bytes: the reference lives in docs/

# [text](target) and [text]: target, outside code spans; the target up to a space or ")".
LINK = re.compile(r"\]\(([^)\s]+)[^)]*\)|^\[[^\]]+\]:\s*(\S+)", re.M)


def cli_docs():
    """tools/cli_docs.py as a module (tools/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("cli_docs", ROOT / "tools" / "cli_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md")), ROOT / "CHANGELOG.md"]


def relative_links(path: Path) -> list[str]:
    """Every link target of a Markdown file that is a path in the repository (no scheme, no
    bare anchor), without its anchor; links inside fenced code blocks do not count."""
    text = re.sub(r"```.*?```", "", path.read_text("utf-8"), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    targets = [a or b for a, b in LINK.findall(text)]
    return [
        target.split("#")[0]
        for target in targets
        if not re.match(r"[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")
    ]


def test_cli_reference_is_what_the_commands_say_now():
    generated = cli_docs().generate()
    written = (DOCS / "cli.md").read_text("utf-8")
    assert written == generated, "docs/cli.md is stale: run `make docs`"


def test_cli_reference_walks_every_command():
    from pipeline.cli import cli

    text = (DOCS / "cli.md").read_text("utf-8")
    for name in cli.commands:
        assert f"## `stdnews {name}`" in text


def test_exit_statuses_are_tabled_from_verdicts_only():
    table = cli_docs().exit_status_section()
    for status in (verdicts.OK, verdicts.USAGE, verdicts.UNUSABLE, verdicts.INTERRUPTED):
        assert f"\n| {status} | " in table
    # A hand-written copy elsewhere would drift: only the generated page tables the numbers.
    for path in markdown_files():
        if path.name != "cli.md":
            rows = re.findall(r"^\|\s*(?:130|[0-8])\s*\|", path.read_text("utf-8"), re.M)
            assert not rows, f"{path.relative_to(ROOT)} tables exit statuses: link docs/cli.md"


def test_readme_is_short():
    size = README.stat().st_size
    assert size <= README_LIMIT, f"README.md is {size} bytes; move the reference to docs/"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: p.name)
def test_relative_links_point_at_files(path):
    missing = [target for target in relative_links(path) if not (path.parent / target).exists()]
    assert not missing, f"{path.relative_to(ROOT)} links to missing files: {missing}"


def test_a_missing_target_is_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](page.md) [gone](nowhere.md#x) [web](https://example.org) [here](#top)\n"
        "`[code](not-a-link.md)`\n```\n[block](neither.md)\n```\n",
        "utf-8",
    )
    assert relative_links(page) == ["page.md", "nowhere.md"]
