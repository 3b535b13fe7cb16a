"""Loading of the vocabularies in data/ (organizations, topics), cached per process."""

from __future__ import annotations

from functools import cache

import yaml

from pipeline.paths import DATA

# libyaml's parser when PyYAML was built with it: the same values, ten times faster to load.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def organizations() -> tuple[dict, ...]:
    return tuple(yaml.load((DATA / "organizations.yaml").read_text("utf-8"), Loader))


@cache
def topics() -> tuple[dict, ...]:
    return tuple(yaml.load((DATA / "topics.yaml").read_text("utf-8"), Loader))
