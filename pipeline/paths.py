"""Where the project's files live, so that every command agrees on defaults."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
DEFAULT_DB = DATA / "news.db"
SNAPSHOT = DATA / "snapshot"
METADATA = DATA / "metadata.yml"
GOLD = ROOT / "tests" / "gold"
