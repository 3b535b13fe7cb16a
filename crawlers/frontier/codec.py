"""Requests and posts as JSON in Redis (scrapy-redis' SCHEDULER_SERIALIZER is this module).

scrapy-redis pickles requests by default: anyone who can write to the Redis server could then run
code in every fetcher. JSON carries what a request is made of (Request.to_dict: strings, numbers,
lists, the headers' and body's bytes, written as base64) and nothing executable.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from pipeline.normalize.types import Post

BYTES = "__bytes__"


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {BYTES: base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {_key(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_encode(v) for v in value]
    return value


def _key(key: Any) -> str:
    """Header names are bytes; JSON keys are strings (latin-1 keeps every byte)."""
    return key.decode("latin-1") if isinstance(key, bytes) else str(key)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {BYTES}:
            return base64.b64decode(value[BYTES])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def dumps(obj: Any) -> bytes:
    """JSON of a request's dict; a value JSON cannot hold raises TypeError (a bug to fix)."""
    return json.dumps(_encode(obj), separators=(",", ":")).encode()


def loads(data: bytes | str) -> Any:
    return _decode(json.loads(data))


def post_to_json(post: Post) -> dict:
    return post.to_dict()


def post_from_json(data: dict) -> Post:
    return Post.from_dict(data)
