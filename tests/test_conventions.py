"""Conventions that keep the project whole: every spider tested, every column described."""

import subprocess
import sys

import pytest
import yaml

from crawlers.run import spider_names
from crawlers.spiders.generic import written_spiders
from pipeline.normalize.sources import SOURCES
from pipeline.paths import METADATA, ROOT, SNAPSHOT
from tests.conftest import TESTS

SPIDERS = spider_names()


def test_every_source_has_a_spider():
    assert sorted(SOURCES) == SPIDERS


@pytest.mark.parametrize("name", sorted(written_spiders()))
def test_every_written_spider_has_a_test_module(name):
    assert (TESTS / f"test_spider_{name}.py").exists()


@pytest.mark.parametrize("name", SPIDERS)
def test_every_spider_has_snapshot_pages(name):
    hosts = [h for h in SOURCES[name].hosts if (SNAPSHOT / h).is_dir()]
    assert hosts, f"no snapshot folder for {name}"


def test_every_table_and_column_is_described(db):
    tables = yaml.safe_load(METADATA.read_text())["databases"]["news"]["tables"]
    for table in db.table_names():
        meta = tables.get(table)
        assert meta, f"table {table} missing from data/metadata.yml"
        if meta.get("hidden"):
            continue
        assert meta.get("description"), table
        described = set(meta.get("columns", {}))
        assert set(db[table].columns_dict) <= described, (
            table,
            set(db[table].columns_dict) - described,
        )
    for view in db.view_names():
        assert view in tables, f"view {view} missing from data/metadata.yml"


def test_scrapy_list_works_from_the_repo_root():
    import subprocess
    import sys

    from pipeline.paths import ROOT

    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == SPIDERS


def test_the_crawler_opens_no_port_of_its_own():
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")  # Scrapy 2.19's code-execution endpoint


def test_a_crawl_loads_no_component_it_switched_off():
    """Telnet, remote control and cookies are off, and not even imported: Scrapy imports every
    class its component lists name (aiohttp and tldextract's suffix list, in every crawl)."""
    program = """
import sys
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object
from scrapy.utils.project import get_project_settings
settings = get_project_settings()
for name in ("EXTENSIONS", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES"):
    for path in build_component_list(settings.getwithbase(name)):  # as Scrapy's managers do
        load_object(path)
print(sorted(m for m in ("aiohttp", "tldextract", "scrapy.extensions.telnet") if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr[-2000:]
