"""Loading of the vocabularies in data/ (organizations, topics), cached per process."""

from __future__ import annotations

from functools import cache

import yaml

from pipeline.paths import DATA


@cache
def organizations() -> tuple[dict, ...]:
    return tuple(yaml.safe_load((DATA / "organizations.yaml").read_text("utf-8")))


@cache
def topics() -> tuple[dict, ...]:
    return tuple(yaml.safe_load((DATA / "topics.yaml").read_text("utf-8")))
