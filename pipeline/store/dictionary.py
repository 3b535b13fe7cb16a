"""The data dictionary: every table and column with its type and description.

One source of truth, data/metadata.yml (the descriptions Datasette shows); the dumps carry the
same text as a `data_dictionary` table, joined to the schema actually present, so that a
researcher's copy explains itself without Datasette.
"""

from __future__ import annotations

import yaml
from sqlite_utils import Database

from pipeline.paths import METADATA

# Tables that hold no data of their own: the FTS index's shadow tables.
FTS_SHADOW = ("_config", "_data", "_docsize", "_idx", "_content")


def described_tables() -> dict[str, dict]:
    """data/metadata.yml's table entries (description, columns) of the news database."""
    metadata = yaml.safe_load(METADATA.read_text("utf-8"))
    return metadata["databases"]["news"]["tables"]


def public_tables(db: Database) -> list[str]:
    """Tables and views a reader of the data meets (not the FTS index's internals, nor SQLite's
    own: sqlite_stat1, which `pragma optimize` writes once queries have used the indexes)."""
    fts = [t for t in db.table_names() if t.endswith("_fts")]
    shadow = {f"{t}{suffix}" for t in fts for suffix in FTS_SHADOW}
    return [
        t
        for t in db.table_names() + db.view_names()
        if t not in shadow and t not in fts and not t.startswith("sqlite_")
    ]


def entries(db: Database) -> list[dict]:
    """One row per table (column_name null) and per column, in schema order."""
    described = described_tables()
    rows = []
    for table in public_tables(db):
        info = described.get(table, {})
        rows.append(
            {
                "table_name": table,
                "column_name": None,
                "type": "view" if table in db.view_names() else "table",
                "description": info.get("description"),
            }
        )
        columns = info.get("columns", {})
        for column in db[table].columns:
            rows.append(
                {
                    "table_name": table,
                    "column_name": column.name,
                    "type": column.type,
                    "description": columns.get(column.name),
                }
            )
    return rows


def undescribed(db: Database) -> list[str]:
    """`table` or `table.column` names that data/metadata.yml does not describe."""
    return [
        f"{row['table_name']}.{row['column_name']}" if row["column_name"] else row["table_name"]
        for row in entries(db)
        if not row["description"]
    ]


def write(db: Database) -> int:
    """(Re)write the data_dictionary table into db, itself included; returns its row count."""
    with db.atomic():
        db["data_dictionary"].drop(ignore=True)
        db["data_dictionary"].create(
            {"table_name": str, "column_name": str, "type": str, "description": str}
        )
        rows = entries(db)
        db["data_dictionary"].insert_all(rows)
    return len(rows)
