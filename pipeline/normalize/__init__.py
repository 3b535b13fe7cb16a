"""Normalization: one fetched page -> one `Post`. Pure: no SQLite, no Scrapy, no network.

`post.normalize` wires the stages, each a module of its own: extract (title, body, dates and
where each came from; `dates` reads them), language, standards and committees, organizations,
tags (over `phrases` and the vocabularies of `vocab`), duplicates' hashing. `sources` is the
registry of the sites and their generations, `urls` their URL rules; `workers` runs normalization
in processes, `evaluate` scores it against the gold set.
"""
