"""The layers' imports run one way: cli -> crawlers / site -> store -> normalize.

docs/architecture.md draws the layers; this test holds the code to the drawing. Every module of
`crawlers` and `pipeline` is parsed (not imported) and each of its imports of the project is
checked against its own layer: a module may import its own package and the layers below it,
never a layer above, and the two middle layers (the crawl and the site) not each other. Imports
made only for type annotations count too: they are what a reader follows. The libraries follow
the layers as well: SQLite only in the store and the site, Scrapy only in the crawl.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The rank of each package; a module may import packages of a lower rank, or its own.
LAYERS = {
    "pipeline.paths": 0,  # where the project's files are: a leaf every layer uses
    "pipeline.verdicts": 0,  # exit statuses and a run's answer: one place, used by every layer
    "pipeline": 0,  # the package itself (__version__)
    "pipeline.normalize": 1,
    "pipeline.store": 2,
    "crawlers": 3,
    "pipeline.site": 3,
    "pipeline.watch": 3.5,  # saved searches: the site's filters' SQL (filters.py) over the store
    "pipeline.cli": 4,
    "pipeline.__main__": 5,  # `python -m pipeline`: the cli
}


def layer_of(module: str) -> str:
    """The longest LAYERS key that module is, or is inside."""
    candidates = [name for name in LAYERS if module == name or module.startswith(name + ".")]
    return max(candidates, key=len)


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# What each layer must not know: normalization is pure, only the crawl knows Scrapy, only the
# store and the site SQLite, only the site Datasette.
# Redis (the shared frontier) is the crawl's alone.
FORBIDDEN = {
    "pipeline.normalize": (
        "sqlite3",
        "sqlite_utils",
        "scrapy",
        "twisted",
        "datasette",
        "redis",
        "scrapy_redis",
    ),
    "pipeline.store": ("scrapy", "twisted", "datasette", "redis", "scrapy_redis"),
    "pipeline.site": ("scrapy", "twisted", "redis", "scrapy_redis"),
    "pipeline.watch": ("scrapy", "twisted", "datasette", "redis", "scrapy_redis"),
    "crawlers": ("sqlite3", "sqlite_utils", "datasette"),
}


def all_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def project_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of crawlers or pipeline in the file."""
    return [(n, name) for n, name in all_imports(path) if name.split(".")[0] in LAYERS]


def violations(path: Path, root: Path = ROOT) -> list[str]:
    importer = layer_of(module_name(path, root))
    wrong = []
    for line, imported in project_imports(path):
        target = layer_of(imported)
        if target == importer or LAYERS[target] < LAYERS[importer]:
            continue
        where = f"{path.relative_to(root)}:{line}"
        wrong.append(f"{where} ({importer}) imports {imported} ({target})")
    return wrong


def unknown_things(path: Path, root: Path = ROOT) -> list[str]:
    """Imports of libraries the module's layer must not know."""
    layer = layer_of(module_name(path, root))
    banned = FORBIDDEN.get(layer, ())
    return [
        f"{path.relative_to(root)}:{line} ({layer}) imports {name}"
        for line, name in all_imports(path)
        if name.split(".")[0] in banned
    ]


MODULES = sorted(p for package in ("crawlers", "pipeline") for p in (ROOT / package).rglob("*.py"))


def test_every_module_has_a_layer():
    assert MODULES, "no modules found"
    for path in MODULES:
        assert layer_of(module_name(path)) != "pipeline" or path.parent == ROOT / "pipeline", path


def test_imports_run_one_way():
    wrong = [line for path in MODULES for line in violations(path)]
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_each_layer_knows_only_its_own_libraries():
    wrong = [line for path in MODULES for line in unknown_things(path)]
    assert not wrong, "libraries outside their layer:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("importer", "source", "ok"),
    [
        ("pipeline/store/x.py", "from pipeline.normalize import dates", True),
        ("pipeline/normalize/x.py", "from pipeline.store import open_db", False),
        ("pipeline/normalize/x.py", "from pipeline import store", False),
        ("pipeline/store/x.py", "import crawlers.run", False),
        ("crawlers/x.py", "from pipeline.site import serve", False),
        ("pipeline/site/x.py", "from crawlers import run", False),
        ("crawlers/x.py", "from pipeline.cli import cli", False),
        ("pipeline/cli.py", "from crawlers import run", True),
        ("pipeline/site/x.py", "from pipeline import verdicts", True),
        ("pipeline/normalize/x.py", "import sqlite3", False),
        ("pipeline/normalize/x.py", "from scrapy.http import Response", False),
        ("pipeline/store/x.py", "import sqlite3", True),
        ("pipeline/store/x.py", "from datasette import hookimpl", False),
        ("crawlers/x.py", "from sqlite_utils import Database", False),
        ("crawlers/x.py", "from scrapy import Request", True),
    ],
)
def test_the_check_sees_an_import_that_runs_back_up(tmp_path, importer, source, ok):
    """The check itself: a module written in the wrong layer's place is caught."""
    path = tmp_path / importer
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source + "\n")
    assert (violations(path, tmp_path) + unknown_things(path, tmp_path) == []) is ok
