"""What makes the site safe to expose to anonymous requests (a `datasette` entry point).

- Every serving connection (prepare_connection): no SQL function that hands out pointers or
  loads code (an authorizer denies them at prepare time, in `?sql=`, canned queries and the
  site's own SQL alike); SQLite's length limit, so that one function call (printf's width,
  randomblob, a string doubled by a recursive CTE) fails at once instead of running past the
  time limit, which only acts between SQLite's steps; SQLite's heap limit; and a budget on the
  bytes of text and blobs one query hands to Python, which no SQLite limit sees (a thousand rows
  of a few MB each).
- Parameters the table pages cannot honour (`_sort` on a column that does not exist, `_sort`
  with `_sort_desc`, a wrong `_through`) answer 400 with Datasette's message, without a
  traceback in the log.
- Every answer carries security headers (nosniff, a Content-Security-Policy that lets the
  dashboard's Vega charts run from the site's own files, no framing, no referrer), and no header
  repeats more of the request than LINK_LIMIT characters: Datasette's `Link` header holds the
  whole query string; an answer with another such header (the trailing-slash redirect's
  Location) is replaced by a 414. A path segment longer than a file name answers 404.
- /robots.txt, from the `standards-news` section of data/metadata.yml's plugins.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.parse
import weakref

from datasette import hookimpl
from datasette.utils.asgi import Base400, Response
from datasette.views.base import DatasetteError

from pipeline.site.serve import SERVING_LIMITS

# Functions that hand out a native pointer (fts3_tokenizer: its two-argument form registers
# one, which SQLite's documentation says allows arbitrary code) or read, write or load files;
# the last ones exist only where an extension or the shell defined them.
DENIED_FUNCTIONS = frozenset(
    {
        "fts3_tokenizer",
        "load_extension",
        "fts5",
        "readfile",
        "writefile",
        "edit",
        "fsdir",
        "sqlar_compress",
        "sqlar_uncompress",
        "zipfile",
        "sqlite_dbpage",
    }
)
SQLITE_FUNCTION = getattr(sqlite3, "SQLITE_FUNCTION", 31)
SQLITE_ATTACH = getattr(sqlite3, "SQLITE_ATTACH", 24)
# Datasette's messages for parameters a table page cannot honour: the request is wrong, not
# the server, but Datasette answers them 500.
BAD_PARAMETERS = ("Cannot sort table by", "Cannot use _sort and _sort_desc", "Invalid _through")
LINK_LIMIT = 2000
TOO_LONG = f"Request-URI too long: this answer would repeat over {LINK_LIMIT} characters of it"
BAD_THROUGH = 'Invalid _through: a JSON object {"table": ..., "column": ..., "value": ...}'
NAME_MAX = 255  # bytes of a file name (Linux); a longer one fails with ENAMETOOLONG
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    # Datasette's and the dashboards' pages have inline scripts and Vega compiles its
    # expressions with Function(): both allowed, but only the site's own origin may serve
    # scripts, styles, images and answer fetches.
    "content-security-policy": "default-src 'self'; script-src 'self' 'unsafe-inline' "
    "'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
}


# --- connections -----------------------------------------------------------------------------


def deny_dangerous(action, arg1, arg2, db_name, source):
    """SQLite's authorizer: a denied function or ATTACH makes the statement fail to prepare."""
    if action == SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    if action == SQLITE_ATTACH:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


class BoundedRows:
    """A row factory that builds sqlite3.Row as Datasette expects, counting the bytes of text
    and blobs each cursor (one query) has handed out, as the answer writes them (weight); past
    the budget the query fails with a message. Rows are counted as Python holds them, where
    SQLite's heap limit cannot see."""

    def __init__(self, budget: int):
        self.budget = budget
        self.used: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __call__(self, cursor, row):
        size = sum(weight(value) for value in row if isinstance(value, str | bytes))
        if size:
            total = self.used.get(cursor, 0) + size
            if total > self.budget:
                raise sqlite3.OperationalError(
                    f"query result too large: over {self.budget // 2**20} MB of text and blobs;"
                    " select fewer rows or shorter values"
                )
            self.used[cursor] = total
        return sqlite3.Row(cursor, row)


def weight(value: str | bytes) -> int:
    """A value's bytes as the answer may write them: JSON escapes a non-ASCII character as
    \\uXXXX, 12 bytes for one outside the BMP (an emoji: 4 bytes in Python's string, 1 in a
    count of characters)."""
    if isinstance(value, bytes) or value.isascii():
        return len(value)
    return len(json.encoder.encode_basestring_ascii(value))


def size(value) -> int:
    return 0 if value is None else len(value if isinstance(value, str | bytes) else str(value))


def printf_bounded(args) -> bool:
    """Are printf's widths and precisions within the length limit? Past it SQLite gives up on
    the text but still counts to the width, one character at a time (seconds, in one call).
    SQLite reads a blob format as its text, and a width given as text or blob as the number it
    begins with."""
    if not args:
        return True
    form = args[0]
    if isinstance(form, bytes):
        form = form.decode("utf-8", "replace")
    if not isinstance(form, str):  # a number's text has no conversion
        return True
    limit = SERVING_LIMITS["length"]
    numbers = [int(n) for pair in WIDTHS.findall(form) for n in pair if n]
    if "*" in form:
        # Widths taken from the arguments: every argument must be a small number, rather than
        # follow SQLite's order of arguments (an argument miscounted would let one through).
        numbers += [as_number(a) for a in args[1:]]
    return all(abs(n) <= limit for n in numbers)


def as_number(value) -> float:
    """The number SQLite's printf takes for a width (sqlite3_value_int64): an integer or real
    as it is, text or a blob as its leading number (0 without one), NULL as 0."""
    if isinstance(value, int | float):
        return value
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return 0
    found = LEADING_NUMBER.match(value)
    return float(found.group()) if found and found.group().strip() else 0


def products_bounded(args) -> bool:
    """The text's length times the pattern's, for the functions that compare at each position
    (instr's and replace's memcmp, trim's character set)."""
    return size(args[0]) * size(args[1]) <= SERVING_LIMITS["text_times_pattern"]


# Width and precision digits of printf's conversions (%-10.5s: 10 and 5).
# A text's leading number, read generously (an exponent too): refusing more is safe.
LEADING_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
WIDTHS = re.compile(r"%[-+ 0#!,]*(\d*)(?:\.(\d*))?")
# The built-in functions whose cost one call's arguments decide, checked before SQLite's own
# runs (on a side connection with the same limits): name -> (arities, check).
GUARDED = {
    "printf": ((-1,), printf_bounded),
    "format": ((-1,), printf_bounded),
    "instr": ((2,), products_bounded),
    "replace": ((3,), products_bounded),
    "trim": ((2,), products_bounded),
    "ltrim": ((2,), products_bounded),
    "rtrim": ((2,), products_bounded),
}


def guarded(side: sqlite3.Connection, name: str, check):
    # Refused by answering a value over the length limit: SQLite fails the query with "string
    # or blob too big" before copying it, as for the limit's other cases (an exception would
    # print a traceback, Datasette turns callback tracebacks on).
    too_big = bytes(SERVING_LIMITS["length"] + 1)

    def call(*args):
        if not check(args):
            return too_big
        placeholders = ", ".join("?" * len(args))
        return side.execute(f"select {name}({placeholders})", args).fetchone()[0]

    return call


def limit(conn: sqlite3.Connection) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, SERVING_LIMITS["length"])
    conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, SERVING_LIMITS["like_pattern"])


@hookimpl
def prepare_connection(conn):
    limits = SERVING_LIMITS
    conn.set_authorizer(deny_dangerous)
    if hasattr(conn, "setconfig"):  # Python 3.12+: switch the FTS3 tokenizer function off too
        conn.setconfig(sqlite3.SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, False)
    limit(conn)
    side = sqlite3.connect(":memory:", check_same_thread=False)  # SQLite's own functions
    limit(side)
    for name, (arities, check) in GUARDED.items():
        for arity in arities:
            conn.create_function(name, arity, guarded(side, name, check), deterministic=True)
    # Process-wide: the soft limit makes SQLite give back cache first, the hard one fails an
    # allocation (the query, not the process) past it.
    conn.execute(f"pragma soft_heap_limit = {int(limits['soft_heap'])}")
    conn.execute(f"pragma hard_heap_limit = {int(limits['hard_heap'])}")
    conn.row_factory = BoundedRows(limits["result"])


# --- errors ----------------------------------------------------------------------------------


@hookimpl(tryfirst=True)
def handle_exception(datasette, request, exception):
    """A bad parameter answers 400 with its message; no traceback for the log."""
    wrong = isinstance(exception, DatasetteError) and exception.status == 500
    if wrong and str(exception.message).startswith(BAD_PARAMETERS):
        exception.status = 400
    if isinstance(exception, DatasetteError | Base400) and exception.status < 500:
        return error_page(datasette, request, exception)
    return None


def error_page(datasette, request, exception):
    async def inner():
        message = exception.args[0] if isinstance(exception, Base400) else exception.message
        info = {
            "ok": False,
            "error": str(message),
            "status": exception.status,
            "title": getattr(exception, "title", None),
        }
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=exception.status)
        template = datasette.jinja_env.select_template([f"{exception.status}.html", "error.html"])
        html = await template.render_async(
            dict(
                info,
                urls=datasette.urls,
                app_css_hash=datasette.app_css_hash(),
                menu_links=lambda: [],
            )
        )
        return Response.html(html, status=exception.status)

    return inner


# --- headers ---------------------------------------------------------------------------------


@hookimpl
def asgi_wrapper():
    def wrap(app):
        async def with_headers(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            refused = refusal(scope)
            if refused:
                return await send_plain(send, *refused)
            replaced = False

            async def send_with_headers(event):
                nonlocal replaced
                if replaced:  # the app's answer is dropped for the 414 already sent
                    return
                if event["type"] == "http.response.start":
                    headers = safe_headers(event.get("headers") or [])
                    if headers is None:
                        replaced = True
                        return await send_plain(send, 414, TOO_LONG)
                    event = dict(event, headers=headers)
                await send(event)

            return await app(scope, receive, send_with_headers)

        return with_headers

    return wrap


def refusal(scope) -> tuple[int, str] | None:
    """A request that Datasette would answer 500 with a traceback in the log: a path segment
    longer than any file name (its static folders' open fails with ENAMETOOLONG; nothing the
    site serves has such a name), or a `_through` that is not {"table", "column", "value"}."""
    path = scope.get("raw_path") or scope["path"].encode()
    if any(len(urllib.parse.unquote_to_bytes(p)) > NAME_MAX for p in path.split(b"/")):
        return 404, "Not found: a name in this path is longer than any the site serves"
    query = urllib.parse.parse_qs((scope.get("query_string") or b"").decode("latin-1"), True)
    if not all(through_valid(value) for value in query.get("_through", [])):
        return 400, BAD_THROUGH
    return None


def through_valid(value: str) -> bool:
    try:
        through = json.loads(value)
    except ValueError:
        return False
    if not isinstance(through, dict) or not {"table", "column", "value"} <= through.keys():
        return False
    return isinstance(through["table"], str) and isinstance(through["column"], str)


async def send_plain(send, status: int, text: str) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    start = {"type": "http.response.start", "status": status, "headers": safe_headers(headers)}
    await send(start)
    await send({"type": "http.response.body", "body": text.encode() + b"\n"})


def safe_headers(headers) -> list | None:
    """The answer's headers less an over-long Link (a hint, the query string repeated), plus
    the security headers the answer does not set itself; None when another header is over
    LINK_LIMIT (the trailing-slash redirect's Location repeats the whole query string)."""
    kept = [(k, v) for k, v in headers if not (k.lower() == b"link" and len(v) > LINK_LIMIT)]
    if any(len(k) + len(v) > LINK_LIMIT for k, v in kept):
        return None
    present = {k.lower() for k, _ in kept}
    extra = [
        (k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present
    ]
    return kept + extra


# --- robots.txt ------------------------------------------------------------------------------


async def robots_txt(datasette):
    """The configured text, a line naming {database} once per served database; without one,
    robots are kept off the whole site."""
    config = datasette.plugin_config("standards-news") or {}
    text = config.get("robots_txt") or "User-agent: *\nDisallow: /\n"
    routes = [db.route for name, db in datasette.databases.items() if not name.startswith("_")]
    lines = []
    for line in text.splitlines():
        lines += [line.replace("{database}", r) for r in routes] if "{database}" in line else [line]
    return Response.text("\n".join(lines) + "\n")


@hookimpl
def register_routes():
    return [(r"^/robots\.txt$", robots_txt)]
