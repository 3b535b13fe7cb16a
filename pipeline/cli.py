"""The `stdnews` command: demo, crawl, fetch, check, status, dump, serve, publish, replicas,
extract, reprocess, evaluate, migrate, watch."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from pipeline import __version__, verdicts
from pipeline.normalize.source_errors import SourcesFileError
from pipeline.paths import DEFAULT_DB, GOLD, SNAPSHOT

# Heavy modules (Scrapy, Datasette, the parsers and models) are imported by the commands that use
# them, never here: `stdnews --help` and `stdnews extract page.html` start in a fraction of a
# second.

# Exit statuses, for cron: pipeline/verdicts.py (one place, shown in --help).
EXIT_EPILOG = "\b\nExit status:\n" + verdicts.describe()
EXIT_FAILED = verdicts.FAILED
EXIT_BROKEN = verdicts.BROKEN
EXIT_LOCKED = verdicts.LOCKED


class Stdnews(click.Group):
    """The command group, saying every bad input in one line, `stdnews <command>: <problem>`,
    with its exit status (pipeline/verdicts.py): no usage block, no traceback."""

    command_name: str | None = None

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        self.command_name = name
        return name, command, rest

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:  # a caller that handles Click's exceptions itself
            return super().main(args, prog_name, complete_var, False, **extra)
        self.command_name = None
        try:
            return super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as error:
            sys.exit(self.fail(self.one_line(error), error.exit_code))
        except click.Abort:  # Ctrl-C, outside a crawl (which stops by itself)
            sys.exit(self.fail("interrupted", verdicts.INTERRUPTED))
        except SourcesFileError as error:  # a bad file in STDNEWS_SOURCES, met by any command
            sys.exit(self.fail(str(error), verdicts.USAGE))
        except Exception as error:
            store = sys.modules.get("pipeline.store")  # imported by every command that opens one
            verdict = store and database_verdict(store, error)
            if not verdict:
                raise
            sys.exit(self.fail(*verdict))

    def fail(self, message: str, status: int) -> int:
        click.echo(f"{self.where()}: {message}", err=True)
        return status

    def where(self) -> str:
        return f"stdnews {self.command_name}" if self.command_name else "stdnews"

    def one_line(self, error: click.ClickException) -> str:
        """A Click error's message on one line; a usage error points to the help."""
        message = " ".join(error.format_message().split())
        if isinstance(error, click.UsageError):
            message += f" (see {self.where()} --help)"
        return message


def database_verdict(store, error: Exception) -> tuple[str, int] | None:
    """The one line and exit status of a database a command could not use or write (a locked
    one after the wait, a full disk), or None for any other error."""
    if isinstance(error, store.DatabaseUnusable):
        return str(error), verdicts.UNUSABLE
    if isinstance(error, store.DatabaseLocked):
        return f"{error}: nothing more written; run again later", verdicts.LOCKED
    if isinstance(error, (sqlite3.Error, OSError)) and store.is_full(error):
        return (
            "the disk is full: the database is intact; free some space and run again",
            EXIT_FAILED,
        )
    return None


def serve_db(db_path: Path, host: str, port: int, immutable: bool = False) -> None:
    """pipeline.site.serve.serve_db, imported when a command serves."""
    from pipeline.site import serve as site

    site.serve_db(db_path, host, port, immutable=immutable)


def worse(status: int, row: dict | None) -> int:
    """The exit status after one more source's crawls row (pipeline/verdicts.py's order)."""
    return verdicts.worse(status, verdicts.row_status(row))


diagnosis = verdicts.diagnosis  # a crawls row's one-word answer


def existing(db_path: Path) -> Path:
    """The database a reading command names, which must exist (a usage error otherwise)."""
    if not db_path.exists():
        message = f"{db_path} does not exist: no crawl has run yet"
        raise click.BadParameter(message, param_hint="--db")
    return db_path


db_option = click.option(
    "--db",
    "db_path",
    # Readability is the store's to say (exit 8, as for a corrupt file), not Click's.
    type=click.Path(dir_okay=False, readable=False, path_type=Path),
    default=lambda: os.environ.get("STDNEWS_DB", str(DEFAULT_DB)),
    show_default="data/news.db",
    help="SQLite database file (env STDNEWS_DB).",
)
host_option = click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind."
)
port_option = click.option(
    "--port",
    default=8001,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)


@click.group(cls=Stdnews, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stdnews")
def cli():
    """News of standards bodies (IEC, BIPM, ISO, OECD): crawl, normalize, store, serve.

    \b
        stdnews demo                 crawl the bundled snapshot and serve it
        stdnews crawl iso oecd       crawl the live sites into data/news.db
        stdnews serve                browse the database in Datasette
    """


@cli.command(epilog=EXIT_EPILOG)
@click.argument("sources", nargs=-1)
@db_option
@click.option(
    "--replay",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Serve this wget-style mirror (<host>/<path>) on loopback and crawl it "
    "instead of the live sites.",
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Backfill: walk listings, feeds and APIs back to this date (YYYY-MM-DD) and stop there; "
    "older articles are skipped.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most N articles per source.")
@click.option(
    "--full",
    is_flag=True,
    help="Ignore what is stored: walk every discovery page and fetch every article again.",
)
@click.option(
    "--revisit-days",
    type=click.IntRange(min=0),
    help="Re-check posts published in the last N days with conditional requests "
    "(default 14, or env STDNEWS_REVISIT_DAYS).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every request (Scrapy INFO level).")
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="For cron: append all output to this file, and print the summary lines only when the "
    "run needs a look (exit status other than 0 and 4), so that cron mails just those.",
)
@click.option(
    "--frontier",
    metavar="redis://HOST:PORT/N",
    help="Share the run with `stdnews fetch` processes through this Redis server: this process "
    "coordinates, fetches too and is the one writer (docs/operations.md).",
)
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    help="Seconds between two requests to one host (default 1, none with --replay); with "
    "--frontier, across all fetchers.",
)
@click.option(
    "--publish",
    "publish_to",
    type=click.Path(file_okay=False, path_type=Path),
    help="After the crawl, publish a serving copy into this folder (as `stdnews publish --to`).",
)
def crawl(
    sources,
    db_path,
    replay,
    since,
    limit,
    full,
    revisit_days,
    verbose,
    log_path,
    frontier,
    delay,
    publish_to,
):
    """Crawl SOURCES (default: all) into the database, incrementally.

    Known articles are not fetched again; discovery pages are asked for conditionally and
    pagination stops at the first page with nothing new; recent posts are re-checked (changed:
    a new version; 404/410: marked gone). Quiet by default: one summary line per source (a
    progress line too when run in a terminal).

    Per source, one line: its answer (ok; changed: discovery answered but gave nothing;
    blocked: the site refused us; unreachable: no answer; gone: 404/410; broken: dates missing or
    many errors), the articles each discovery path found (the site's selectors, the page's
    links, feeds, sitemaps, the API) and the failed requests by reason; -v lists each failure.

    \b
        stdnews crawl                       every source, live
        stdnews crawl iso --replay mirror/  replay a mirror of www.iso.org
        stdnews crawl --since 2024-01-01    backfill everything published since 2024
        stdnews crawl --frontier redis://10.0.0.5:6379/0   with `stdnews fetch` elsewhere
    """
    spider_args = {
        "since": since.date().isoformat() if since else None,
        "limit": limit,
        "full": full or None,
        "revisit_days": revisit_days,
    }
    if frontier and limit:
        raise click.BadParameter("--limit counts per process: not with --frontier", "--limit")
    shared = {"frontier": frontier, "delay": delay}
    if log_path is None:
        status = run_crawl(list(sources), db_path, replay, verbose, spider_args, **shared)
    else:
        status = run_crawl_logged(
            log_path, list(sources), db_path, replay, verbose, spider_args, **shared
        )
    if publish_to is not None and status in verdicts.PUBLISHABLE:
        click.echo(f"published {publish_copy(db_path, publish_to)}", err=True)
    sys.exit(status)


def publish_copy(db_path: Path, folder: Path, keep: int = 3) -> Path:
    """A serving copy for the read replicas (pipeline/store/copies.py), its path printed."""
    from pipeline.store import copies

    try:
        path = copies.publish(db_path, folder, keep=keep)
    except (OSError, sqlite3.OperationalError) as error:  # the folder, a full disk
        raise click.ClickException(f"cannot publish into {folder}: {problem(error)}") from None
    return path


def run_crawl_logged(
    log_path: Path, sources, db_path, replay, verbose, spider_args, **shared
) -> int:
    """run_crawl with everything it, Scrapy and the workers print appended to the log; then,
    when the run needs a look, its summary lines again on the real output (cron mails them)."""
    from datetime import UTC, datetime

    validate_sources(sources, known_sources())
    usable_for_writing(db_path)  # an unusable database: its one line goes to cron's mail
    try:
        log = log_path.open("a", encoding="utf-8")
    except OSError as error:
        raise click.BadParameter(f"{log_path}: {problem(error)}", param_hint="--log") from None
    with log:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        log.write(f"== {started} stdnews crawl {' '.join(sources)} into {db_path}\n")
        log.flush()
        with output_to(log):
            status = run_crawl(sources, db_path, replay, verbose, spider_args, **shared)
    if status not in (verdicts.OK, verdicts.LOCKED):
        run_id = last_run_id(db_path, started)
        if run_id:
            report(db_path, run_id, sources or known_sources())
        click.echo(f"stdnews crawl: exit status {status}; the whole output is in {log_path}")
    return status


@contextmanager
def output_to(file):
    """Standard output and error (file descriptors 1 and 2: Scrapy's log, worker processes,
    anything) go to file meanwhile."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    os.dup2(file.fileno(), 1)
    os.dup2(file.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)


def run_crawl(
    sources: list[str],
    db_path: Path,
    replay: Path | None,
    verbose: bool,
    spider_args: dict | None = None,
    frontier: str | None = None,
    delay: float | None = None,
) -> int:
    from crawlers import run  # Scrapy is imported only by commands that crawl
    from crawlers.frontier.connection import FrontierUnreachable
    from pipeline.store.lock import CrawlLocked

    sources = validate_sources(sources, run.spider_names())
    usable_for_writing(db_path)
    terminal = sys.stderr.isatty()
    if verbose or terminal:
        where = f"replay of {replay}" if replay else "live sites"
        click.echo(f"crawling {', '.join(sources)} ({where}) into {db_path}", err=True)
    args = {k: v for k, v in (spider_args or {}).items() if v is not None}
    log_level = "INFO" if verbose else "WARNING"
    started = store_time()
    progress = terminal and not verbose
    try:
        with stopped_by_signals():
            run_id = run.crawl(
                sources,
                db_path,
                replay,
                log_level,
                spider_args=args,
                progress=progress,
                frontier=frontier,
                delay=delay,
            )
    except CrawlLocked as error:
        click.echo(f"stdnews crawl: {error}; nothing done", err=True)
        return EXIT_LOCKED
    except FrontierUnreachable as error:
        click.echo(f"stdnews crawl: {error}; nothing done", err=True)
        return EXIT_FAILED
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM before Scrapy took them over, or a second one
        run_id = last_run_id(db_path, started)
        if run_id is None:
            click.echo("stdnews crawl: interrupted before any spider started", err=True)
            return verdicts.INTERRUPTED
    if terminal and not verbose:
        click.echo(err=True)  # end the progress line
    status = report(db_path, run_id, sources, verbose)
    if status == verdicts.INTERRUPTED:
        click.echo("stdnews crawl: interrupted; the next run catches up", err=True)
    else:
        notify_watches(db_path, verbose or terminal)
    return status


@cli.command(epilog=EXIT_EPILOG)
@click.option(
    "--frontier",
    required=True,
    metavar="redis://HOST:PORT/N",
    help="The Redis server `stdnews crawl --frontier` coordinates the run through.",
)
@click.option(
    "--replay",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Replay this mirror, as the coordinator does (each fetcher serves its own copy).",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds to wait for a run to be announced (0: for ever, as a service).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every request (Scrapy INFO level).")
def fetch(frontier, replay, wait, verbose):
    """Fetch for the crawl running on a shared frontier, from this machine.

    Joins the run that `stdnews crawl --frontier` announced, takes requests from the frontier
    (each host's delay and concurrency hold across all fetchers), normalizes the pages and pushes
    them to the coordinator, the one writer; this machine needs no database. Exits when the run
    is over (0), when no run was announced within --wait (4), or when the frontier does not
    answer (1). A fetcher that dies mid-run loses nothing: its requests go back to the frontier.

    \b
        stdnews fetch --frontier redis://10.0.0.5:6379/0 --wait 0    (a systemd service)
    """
    from crawlers.frontier import lost, roles
    from crawlers.frontier.connection import FrontierUnreachable

    try:
        with stopped_by_signals():
            run = roles.fetch(frontier, replay, wait or None, "INFO" if verbose else "WARNING")
    except (FrontierUnreachable, ValueError) as error:
        click.echo(f"stdnews fetch: {error}", err=True)
        sys.exit(EXIT_FAILED)
    if run is None:
        click.echo(f"stdnews fetch: no run announced on {frontier} within {wait:g} s", err=True)
        sys.exit(EXIT_LOCKED)
    if lost.LOST:
        click.echo(f"stdnews fetch: {lost.LOST[0]}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"stdnews fetch: run {run.run_id} over ({', '.join(run.sources)})", err=True)


def store_time() -> str:
    """Now, as the crawls table writes times."""
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


def last_run_id(db_path: Path, since: str) -> str | None:
    """The run this process started at `since` (one crawl at a time per database), if any of
    its spiders opened."""
    from pipeline.store import open_readonly

    if not db_path.exists():  # stopped before any spider created it
        return None
    db = open_readonly(db_path)  # read only: no migration or upkeep on the way out
    row = db.execute(
        "select run_id from crawls where started >= ? order by id desc limit 1", [since]
    ).fetchone()
    db.close()
    return row[0] if row else None


def usable_for_writing(db_path: Path) -> None:
    """Open the database as a crawl will, before the lock file or any spider: an unusable one
    (corrupt, read-only) is one line (store.DatabaseUnusable), with nothing written."""
    from pipeline import store

    if db_path.exists():  # a new database is created under the crawl's lock, not before it
        store.open_db(db_path).close()


@contextmanager
def stopped_by_signals():
    """SIGTERM stops the crawl as Ctrl-C does. Scrapy takes both over once its engine runs (it
    then closes the spiders, recorded as interrupted: crawlers/interrupted.py); before that,
    and after a second signal, they raise KeyboardInterrupt here."""
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def echo_warnings(row: dict | None) -> None:
    for warning in ((row or {}).get("warnings") or "").splitlines():
        click.echo(f"  warning: {warning}")


def validate_sources(sources: list[str], known: list[str], hint: str = "SOURCES") -> list[str]:
    unknown = [s for s in sources if s not in known]
    if unknown:
        raise click.BadParameter(
            f"unknown source {', '.join(unknown)}; known: {', '.join(known)}", param_hint=hint
        )
    return sources or known


def known_sources() -> list[str]:
    """The source ids, without Scrapy (pipeline/normalize/sources.py)."""
    from pipeline.normalize.sources import SOURCES

    return sorted(SOURCES)


def report(db_path: Path, run_id: str, sources: list[str], verbose: bool = False) -> int:
    """Print the run's `crawls` rows, one line per source (and, with -v, each failed request
    with its reason); the exit status they add up to."""
    from pipeline.store import open_db, stop_run

    db = open_db(db_path)
    stop_run(db, run_id)  # stopped before its spiders closed (a second Ctrl-C)
    rows = {r["source"]: r for r in db.query("select * from crawls where run_id = ?", [run_id])}
    status = 0
    for source in sources:
        row = rows.get(source)
        status = worse(status, row)
        if diagnosis(row) == "FAILED":
            click.echo(f"{source}: FAILED ({failure_of(row)})")
            continue
        click.echo(verdicts.source_line(row))
        echo_warnings(row)
        echo_failures(db, row, verbose)
    db.close()
    return status


def failure_of(row: dict | None) -> str:
    """Why a run failed: its last warning (a full disk, a lost frontier), if it says."""
    warnings = (row or {}).get("warnings") or ""
    return warnings.splitlines()[-1] if warnings else "the spider did not finish"


def echo_failures(db, row: dict | None, verbose: bool) -> None:
    """-v: each failed request of a crawls row, with its reason."""
    if not (verbose and row):
        return
    for error in db.query("select * from crawl_errors where crawl_id = ?", [row["id"]]):
        click.echo(
            f"  failed: {error['reason'] or '-'} {error['kind']} {error['url']} ({error['error']})"
        )


@cli.command(epilog=EXIT_EPILOG)
@click.argument("sources", nargs=-1)
@click.option(
    "--articles",
    default=3,
    show_default=True,
    type=click.IntRange(min=1),
    help="Recent articles to fetch from each listing, feed or API of a source.",
)
@click.option(
    "--replay",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Check a wget-style mirror instead of the live sites.",
)
@click.option("-v", "--verbose", is_flag=True, help="Also list each failed request and why.")
def check(sources, articles, replay, verbose):
    """Live canary: fetch a few recent articles per source and report each source's health.

    For a machine with internet access (or a mirror with --replay). Nothing is written to your
    database: the check crawls into a temporary one. Per source it prints the articles
    discovered, how many have a title, a date, a body and tags, and which layout generation
    each page matched, with the same answers and exit statuses as `stdnews crawl`.

    \b
        stdnews check                 every source, 3 articles per listing
        stdnews check oecd --articles 10
    """
    from crawlers import run

    with tempfile.TemporaryDirectory(prefix="stdnews-check-") as folder:
        db_path = Path(folder) / "check.db"
        sources = validate_sources(list(sources), run.spider_names())
        run_id = run.crawl(sources, db_path, replay, spider_args={"sample": articles})
        sys.exit(check_report(db_path, run_id, sources, verbose))


def check_report(db_path: Path, run_id: str, sources: list[str], verbose: bool = False) -> int:
    from pipeline.store import open_db

    db = open_db(db_path)
    status = 0
    for source in sources:
        crawl_row = next(
            db["crawls"].rows_where("run_id = ? and source = ?", [run_id, source]), None
        )
        fields = db.execute(
            """select count(*), count(title), count(published), sum(not text_missing),
                 sum(tags != '[]') from posts where source = ?""",
            [source],
        ).fetchone()
        generations = ", ".join(
            f"{g or 'unknown'} {n}"
            for g, n in db.execute(
                "select generation, count(*) from posts where source = ?"
                " group by 1 order by 2 desc",
                [source],
            )
        )
        verdict = diagnosis(crawl_row)
        n = fields[0]
        click.echo(
            f"{source}: {verdict} - {crawl_row['articles_discovered'] if crawl_row else 0} "
            f"articles discovered, {n} stored; title {fields[1]}/{n}, date {fields[2]}/{n}, "
            f"body {fields[3] or 0}/{n}, tags {fields[4] or 0}/{n}; "
            f"generations: {generations or '-'}"
        )
        echo_warnings(crawl_row)
        echo_failures(db, crawl_row, verbose)
        status = worse(status, crawl_row)
    db.close()
    return status


@cli.command(epilog=EXIT_EPILOG)
@db_option
@click.option(
    "--runs",
    default=5,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many of the last runs to list.",
)
@click.option(
    "--max-age",
    type=click.FloatRange(min=0),
    help="Also count a source as unhealthy when its last successful crawl is older than this "
    "many hours (for monitoring).",
)
@click.option("-v", "--verbose", is_flag=True, help="Also list the last run's failed requests.")
def status(db_path, runs, max_age, verbose):
    """Each source's health and the last runs, from the crawls table.

    Per source: the last run (status, new/updated/gone posts, errors, requests), the last
    successful crawl, posts stored and the newest, and the new posts of each of the last 10
    runs (the trend), with the last run's warnings. The exit status is the last runs' worst
    answer, as for `stdnews crawl` (3 also for a run that was interrupted or, with --max-age, a
    source whose last successful crawl is too old).

    \b
        stdnews status
        stdnews status --max-age 24 || mail -s "standards-news needs a look" ops@example.org
    """
    from datetime import UTC, datetime

    from pipeline.store import open_readonly
    from pipeline.store import status as run_status
    from pipeline.store.lock import CrawlLock

    db = open_readonly(existing(db_path))  # works on a read-only copy; writes nothing
    crawling = CrawlLock(db_path).held_elsewhere()
    now = datetime.now(UTC)
    worst = 0
    click.echo(
        f"{db_path}: {db['posts'].count} posts" + (" - a crawl is running" if crawling else "")
    )
    click.echo(
        f"{'source':<7} {'last run':<20} {'status':<12} {'new':>4} {'upd':>4} "
        f"{'gone':>4} {'err':>4} {'req':>5}  {'last success':<20} {'posts':>6} "
        f"{'newest':<11} new per run"
    )
    for source in run_status.sources(db, crawling):
        run = source.last_run or {}
        click.echo(
            f"{source.source:<7} {short_time(run.get('started')):<20} {source.status:<12} "
            f"{run.get('new_posts') or 0:>4} {run.get('updated_posts') or 0:>4} "
            f"{run.get('gone_posts') or 0:>4} {run.get('errors') or 0:>4} "
            f"{run.get('requests') or 0:>5}  {short_time(source.last_success):<20} "
            f"{source.posts:>6} {(source.newest or '-')[:10]:<11} "
            f"{' '.join(map(str, source.trend)) or '-'}"
        )
        echo_warnings(run)
        echo_failures(db, source.last_run, verbose)
        for problem in source.problems(now, max_age):
            click.echo(f"  problem: {problem}")
        worst = verdicts.worse(worst, source.exit_status(now, max_age))
    if runs:
        click.echo("\nlast runs:")
        for run in run_status.last_runs(db, runs):
            took = run_status.seconds_between(run["started"], run["finished"])
            click.echo(
                f"  {short_time(run['started'])}  "
                f"{f'{took:.1f} s' if took is not None else 'unfinished':>10}  "
                f"{run['new_posts'] or 0} new, {run['updated_posts'] or 0} updated, "
                f"{run['gone_posts'] or 0} gone, {run['errors'] or 0} errors, "
                f"{run['requests'] or 0} requests  [{run['statuses']}]"
            )
    db.close()
    sys.exit(worst)


@cli.command()
@db_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the dump files (default: dumps/ beside the database, i.e. data/dumps/).",
)
def dump(db_path, out):
    """Write a dated, checksummed snapshot of the database for researchers.

    Files in the dumps folder: standards-news-YYYY-MM-DD.db (consistent, taken with VACUUM INTO
    even while a crawl writes; with a data_dictionary table), its .db.gz, a .json manifest
    (schema version, row counts, date range per source, generated at, software version) and a
    .sha256 file (check with `sha256sum -c`); standards-news-latest.* point at the newest. Raw
    pages are left out. A second dump on the same day replaces that day's files.
    """

    from pipeline.store import dumps

    existing(db_path)  # with --out too: a missing database is a usage error (exit 2)
    out = out or dumps.folder_for(db_path)
    try:
        result = dumps.dump(db_path, out, progress=lambda text: click.echo(text, err=True))
    except (OSError, sqlite3.OperationalError) as error:  # the dumps folder, a full disk
        raise click.ClickException(f"cannot write the dump into {out}: {problem(error)}") from None
    for file in result.manifest["files"]:
        click.echo(f"{out / file['name']}  {file['bytes']:,} bytes  sha256 {file['sha256']}")
    posts = result.manifest["tables"].get("posts", 0)
    click.echo(
        f"{posts} posts, schema {result.manifest['schema_version']}; "
        f"verify with: cd {out} && sha256sum -c {result.name}.sha256"
    )


def short_time(value: str | None) -> str:
    """2026-11-29T18:21:44+00:00 -> 2026-11-29 18:21 UTC."""
    return f"{value[:10]} {value[11:16]} UTC" if value else "-"


@cli.command()
@db_option
@click.option("--no-serve", is_flag=True, help="Build the database and exit.")
@host_option
@port_option
def demo(db_path, no_serve, host, port):
    """Crawl the bundled offline snapshot of the four sites, dump it, then serve it.

    Uses the real Scrapy engine over loopback HTTP; nothing leaves the machine. The research
    dump (as `stdnews dump` writes it, into dumps/ beside the database) is what the home page's
    Downloads section offers.
    """
    from pipeline.store import dumps

    status = run_crawl([], db_path, SNAPSHOT, verbose=False)
    if status:
        sys.exit(status)
    written = dumps.dump(db_path, dumps.folder_for(db_path), progress=lambda text: None)
    click.echo(f"dump: {written.path('.db')} (and .db.gz, .json, .sha256)", err=True)
    if not no_serve:
        serve_db(db_path, host, port)


@cli.command()
@db_option
@host_option
@port_option
@click.option(
    "--immutable",
    "copy",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Serve this published copy (stdnews publish; current.db is followed once) as "
    "immutable, under the name news, instead of --db.",
)
def serve(db_path, host, port, copy):
    """Browse the database in Datasette (read-only), with the metadata in data/.

    A read-only file (a dump, a read-only mount) is served as it is. A database that cannot be
    read prints one line and exits 8; a port in use or an address that cannot be listened on,
    one line and exit 2. Ctrl-C or SIGTERM stops the server (exit 0). With --immutable, the
    copy is served at /news/ whatever its file name, and /-/databases.json names its file.
    """
    if copy is None:
        serve_db(existing(db_path), host, port)
    elif not copy.exists():
        raise click.BadParameter(
            f"{copy} does not exist: publish one first", param_hint="--immutable"
        )
    else:
        serve_db(copy, host, port, immutable=True)


@cli.command()
@db_option
@click.option(
    "--to",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the serving copies; its current.db points at the newest.",
)
@click.option(
    "--keep",
    default=3,
    show_default=True,
    type=click.IntRange(min=2),
    help="Copies kept (the newest and the one before it, which a replica may still serve, "
    "always are).",
)
def publish(db_path, folder, keep):
    """Write an immutable serving copy of the database for the read replicas; print its path.

    The copy (news-<UTC time>.db) is consistent even while a crawl writes (VACUUM INTO), keeps
    the search indexes (merged), passes SQLite's integrity check and is made read-only (mode
    0444) before it is renamed into place; then current.db is switched to it atomically and
    older copies beyond --keep are removed. `stdnews replicas` rolls it out.
    """
    click.echo(str(publish_copy(existing(db_path), folder, keep)))


@cli.command()
@click.option(
    "--copies",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder `stdnews publish --to` writes: its current.db is served.",
)
@click.option(
    "--port",
    "ports",
    multiple=True,
    required=True,
    type=click.IntRange(1, 65535),
    help="A replica's port (repeat it: one replica per port).",
)
@click.option(
    "--standby-offset",
    default=100,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="A rollout starts the new replicas on the ports plus this offset (then back).",
)
@click.option(
    "--upstream",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The nginx include file written with the serving ports (upstream stdnews_replicas).",
)
@click.option(
    "--reload",
    "reload_command",
    default="nginx -s reload",
    show_default=True,
    help="Command run after the upstream file changed (nginx's graceful reload).",
)
@click.option(
    "--drain",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds the old replicas keep answering after the reload, before they are stopped.",
)
@click.option(
    "--start-timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds a new replica has to answer before a rollout gives up (the old ones stay).",
)
@host_option
def replicas(folder, ports, standby_offset, upstream, reload_command, drain, start_timeout, host):
    """Run read replicas of the published copy behind nginx, and roll out each new copy.

    One `stdnews serve --immutable` per --port, an nginx upstream file naming them, and a watch
    on current.db: a new copy is started on the standby ports, nginx is switched to them once
    each answers, and the old replicas are stopped after --drain seconds (no request fails). A
    replica that dies is restarted. One line on stderr per action; SIGTERM stops it all (exit 0).
    """
    from pipeline.site import replicas as supervisor

    plan = supervisor.Plan(
        folder=folder,
        ports=tuple(ports),
        standby_offset=standby_offset,
        upstream=upstream,
        reload_command=reload_command,
        drain=drain,
        start_timeout=start_timeout,
        host=host,
    )
    why = plan.problem()
    if why:
        raise click.BadParameter(why, param_hint="--port")
    sys.exit(supervisor.run(plan))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "--url",
    help="The URL the page was fetched from (one FILE only); default: from the file's path in a "
    "wget-style mirror, <host>/<path>.",
)
@click.option(
    "--source", help="Source id (the posts' source column); default: from the URL's host."
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    help="Normalize in N worker processes (worth it for hundreds of pages); default: in this one.",
)
def extract(files, url, source, workers):
    """Normalize saved pages and print each post as JSON.

    One FILE: the post as indented JSON; a page that is not a post is one error line and exit
    status 1. Several FILEs, a directory (every file under it, dot files left out) or `-` (paths
    read from standard input, one a line): one JSON object per line (JSON Lines), in order; a
    file that fails prints one line `stdnews extract: FILE: why` on standard error and the others
    go on; the exit status is 1 if any failed, else 0.

    A page's URL is --url, or else read from its path in a wget-style mirror: the folder named
    after a source's host starts it (mirror/www.iso.org/contents/news/a.html is
    https://www.iso.org/contents/news/a.html; an index.html stands for its folder).

    \b
        stdnews extract --url https://www.iso.org/contents/news/2021/05/Ref2667.html page.html
        stdnews extract data/snapshot/www.iso.org/contents/news/2021/05/Ref2667.html
        stdnews extract data/snapshot/www.iec.ch > iec.jsonl
        find mirror -name '*.html' | stdnews extract --workers 2 - > posts.jsonl
    """
    from pipeline.normalize.post import normalize

    if source:
        validate_sources([source], known_sources(), "--source")
    if len(files) > 1 or any(str(f) == "-" or f.is_dir() for f in files):
        if url:
            raise click.UsageError("--url names one page: give one FILE, or none for several")
        sys.exit(extract_many(files, source, workers))
    if not files[0].exists():
        raise click.BadParameter(f"{files[0]} does not exist", param_hint="FILE")
    try:
        post = normalize(read_page(files[0], url, source))
    except (OSError, ValueError) as error:  # NormalizeError is a ValueError
        raise click.ClickException(f"{files[0]}: {problem(error)}") from error
    shown = post.to_dict()
    shown.pop("content_hash")
    click.echo(json.dumps(shown, ensure_ascii=False, indent=2))


def extract_many(files: Iterable[Path], source: str | None, workers: int) -> int:
    """One JSON line per post, one stderr line per failed file; 1 if any failed."""
    from pipeline.normalize.workers import normalize_many

    failed = 0

    def fail(file: Path, why: str) -> None:
        nonlocal failed
        failed += 1
        click.echo(f"stdnews extract: {file}: {why}", err=True)

    def items() -> Iterator[dict]:
        for file in page_files(files):
            try:
                yield {**read_page(file, None, source), "file": str(file)}
            except (OSError, ValueError) as error:
                fail(file, problem(error))

    for item, (post, rejected) in normalize_many(items(), workers):
        if rejected:
            fail(Path(item["file"]), rejected)
        else:
            shown = post.to_dict()
            shown.pop("content_hash")
            click.echo(json.dumps(shown, ensure_ascii=False))
    return EXIT_FAILED if failed else 0


def page_files(files: Iterable[Path]) -> Iterator[Path]:
    """The files named, those under each directory (sorted; dot files such as a mirror's
    .responses left out) and, for `-`, the paths listed on standard input."""
    for file in files:
        if str(file) == "-":
            lines = (line.rstrip("\r\n") for line in sys.stdin)
            yield from page_files(Path(line) for line in lines if line.strip())
        elif file.is_dir():
            yield from sorted(
                path
                for path in file.rglob("*")
                if path.is_file()
                and not any(p.startswith(".") for p in path.relative_to(file).parts)
            )
        else:
            yield file


def read_page(file: Path, url: str | None, source: str | None) -> dict:
    """The item normalize() takes, for a saved page; OSError when it cannot be read, ValueError
    when its URL cannot be told."""
    from pipeline.normalize.extract import decode_html

    html = decode_html(file.read_bytes())
    url = url or url_from_path(file)
    if not url:
        raise ValueError(
            "its URL is unknown: give --url, or keep the mirror's <host>/<path> layout"
        )
    return {"url": url, "source": source or "", "html": html}


def url_from_path(file: Path) -> str | None:
    """https://<host>/<path>[?query] for a file saved at .../<host>/<path>[?query] by a
    wget-style mirror, where <host> is a known source's; None elsewhere."""
    from pipeline.normalize.sources import source_for_url

    parts = list(file.absolute().parts)
    if parts[-1] == "index.html":  # wget's name for the page at a folder's URL
        parts[-1] = ""
    for index, part in enumerate(parts[:-1]):
        if source_for_url(f"https://{part}/"):
            return f"https://{part}/" + "/".join(parts[index + 1 :])
    return None


def problem(error: Exception) -> str:
    """What went wrong, in one line: the system's words (without the file name, said before
    them), or normalize()'s."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error)


@cli.command()
@db_option
@click.option("--source", help="Only this source's pages.")
def reprocess(db_path, source):
    """Re-normalize every stored post from its raw page, without the network.

    Raw pages are kept beside the database (news.db -> news-raw.db) by every crawl; run this
    after an improvement to extraction or normalization to bring old posts up to date. It also
    computes what later versions added for stored posts: their MinHash near-duplicate links,
    bylines, people with roles and stories across publishers.
    """
    import time

    from pipeline.normalize import workers
    from pipeline.store import open_db, optimize_search, raw, save_post
    from pipeline.store.people import recompute_people

    if source:
        validate_sources([source], known_sources(), "--source")
    if not raw.raw_path(existing(db_path)).exists():
        message = f"no raw pages beside {db_path} ({raw.raw_path(db_path)} does not exist)"
        raise click.BadParameter(message, param_hint="--db")
    db, pages = open_db(db_path), raw.open_raw(db_path)
    total = pages["pages"].count_where("source = ?", [source]) if source else pages["pages"].count
    counts = {"new": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    started = time.perf_counter()
    with click.progressbar(
        raw.items(pages, source), length=total, label="reprocessing", file=sys.stderr
    ) as bar:
        # Normalized by worker processes (one per core), written here, in order.
        for _, (post, rejected) in workers.normalize_many(bar):
            if rejected:
                counts["rejected"] += 1
                click.echo(f"\nrejected: {rejected}", err=True)
            else:
                counts[save_post(db, post, keep_version=False)] += 1
    recompute_people(db)  # every person's row from their mentions, once
    optimize_search(db)
    seconds = time.perf_counter() - started
    rate = total / max(seconds, 1e-9)
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    click.echo(f"{total} pages reprocessed in {seconds:.1f} s ({rate:.0f}/s): {summary}")
    sys.exit(EXIT_FAILED if counts["rejected"] else 0)


@cli.command()
@click.option(
    "--gold",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=lambda: str(GOLD),
    show_default="tests/gold",
    help="Folder with labels/*.json (each naming its page in data/snapshot/) and floors.json.",
)
@click.option("--errors", "show_errors", is_flag=True, help="List every page a field got wrong.")
def evaluate(gold, show_errors):
    """Score normalization on the labelled gold pages; fail under the pinned floors.

    Prints accuracy (publication date, language) and precision, recall and F1 (organizations,
    standards, committees, topics), near-duplicates' recall per kind of change and precision
    (gold/near_duplicates), the pairwise precision and recall of stories across publishers
    (gold/stories.json), bylines' precision, recall and pages right (gold/bylines.json) and
    people's precision and recall (gold/people). Exit status 1 when a figure is under its floor
    in floors.json.
    """
    from pipeline.normalize import evaluate as evaluation
    from pipeline.normalize import evaluate_duplicates as near

    try:
        scores = evaluation.evaluate(gold)
    except evaluation.GoldPageChanged as error:
        raise click.ClickException(str(error)) from error
    near_result = near.evaluate(gold)
    values = evaluation.figures(scores) | near.figures(near_result)
    floors = json.loads((gold / "floors.json").read_text("utf-8"))
    pages = scores["published"].total
    click.echo(f"{pages} gold pages; {near.summary(near_result)}")
    for key, value in values.items():
        floor = f"  (floor {floors[key]})" if key in floors else ""
        click.echo(f"  {key:<42} {value:.3f}{floor}")
    if show_errors:
        for key, score in scores.items():
            for error in score.errors:
                click.echo(f"{key}: {error}")
        for error in near.errors(near_result):
            click.echo(f"near_duplicates: {error}")
    failures = evaluation.below_floors(values, floors)
    for failure in failures:
        click.echo(f"UNDER FLOOR: {failure}", err=True)
    sys.exit(EXIT_FAILED if failures else 0)


@cli.command()
@db_option
def migrate(db_path):
    """Create the database or upgrade its schema in place."""
    from pipeline.store import open_db
    from pipeline.store.migrations import migrations

    db = open_db(db_path)
    applied = [m.name for m in migrations.applied(db)]
    click.echo(f"{db_path}: schema at {applied[-1]} ({len(applied)} migrations applied)")


# --- Saved searches that notify (pipeline/watch/) ---------------------------------------------

WATCH_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"


@cli.group(cls=click.Group)
def watch():
    """Saved searches that notify: new posts matching them, after each crawl.

    Each watch is the ranked search's words and filters; after every `stdnews crawl` (or `stdnews
    watch notify`) the matching posts first seen since it last looked are sent once, as JSON
    to a webhook or as a plain e-mail, and recorded (news.db -> news-watches.db). Each watch
    also has an Atom feed (the search feed with its words and filters).

    \b
        stdnews watch add metrology "kilogram OR metrolog*" --webhook https://hooks.example/x
        stdnews watch add iso-ai "artificial intelligence" --source iso --email me@example.org
        stdnews watch list
    """


@watch.command("add")
@click.argument("name")
@click.argument("query")
@click.option("--source", help="Only posts of this source.")
@click.option("--organization", help="Only posts naming this organization (acronym, id, name).")
@click.option("--tag", help="Only posts with this topic.")
@click.option("--standard", help="Only posts referencing this standard (or a part, an edition).")
@click.option("--language", help="Only posts in this language (en, fr, ...).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only posts published since.")
@click.option("--webhook", metavar="URL", help="POST each batch of new posts as JSON here.")
@click.option("--email", metavar="ADDRESS", help="E-mail each batch of new posts here.")
@click.option("--feed-only", is_flag=True, help="Notify nobody: the watch is its feed.")
@db_option
def watch_add(name, query, db_path, webhook, email, feed_only, since, **given):
    """Save a watch NAME of the search QUERY (the search box's words), with its filters.

    It notifies of the posts first seen from now on. E-mail goes through STDNEWS_SMTP_HOST
    (STDNEWS_SMTP_PORT, STDNEWS_SMTP_USER, STDNEWS_SMTP_PASSWORD) or else the local MTA, from
    STDNEWS_MAIL_FROM.
    """
    from pipeline.store import watches

    channel, target = watch_channel(webhook, email, feed_only)
    filters = watch_filters(name, query, since, given)
    wdb = watches.open_watches(db_path)
    try:
        saved = watches.add_watch(wdb, name, query, filters, channel, target)
    except watches.WatchExists as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None
    finally:
        wdb.close()
    where = {"webhook": target, "email": target, "feed": "nobody (feed only)"}[channel]
    click.echo(f"watch {name} saved: new posts go to {where}; feed: {watch_feed(saved, db_path)}")


def watch_channel(webhook: str | None, email: str | None, feed_only: bool) -> tuple[str, str]:
    """(channel, target) of the one of --webhook, --email, --feed-only given."""
    import re
    from urllib.parse import urlsplit

    if sum(map(bool, (webhook, email, feed_only))) != 1:
        raise click.UsageError("give one of --webhook URL, --email ADDRESS or --feed-only")
    if webhook:
        parts = urlsplit(webhook)
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in webhook:
            raise click.BadParameter(f"{webhook!r} is not an http(s) URL", param_hint="--webhook")
        return "webhook", webhook
    if email:
        if not re.fullmatch(EMAIL, email):
            raise click.BadParameter(f"{email!r} is not an e-mail address", param_hint="--email")
        return "email", email
    return "feed", ""


def watch_filters(name: str, query: str, since, given: dict) -> dict:
    """The watch's filters, each checked: one line naming the bad one."""
    import re

    from pipeline.store.search import query_parts

    if not re.fullmatch(WATCH_NAME, name):
        message = f"{name!r}: letters, digits, '.', '_' and '-', at most 64"
        raise click.BadParameter(message, param_hint="NAME")
    if not query_parts(query) or not query.isprintable():
        raise click.BadParameter(f"{query!r} has no word to search for", param_hint="QUERY")
    if given["source"]:
        validate_sources([given["source"]], known_sources(), "--source")
    for option, value in given.items():
        if value is not None and (not value.strip() or not value.isprintable()):
            raise click.BadParameter(f"{value!r} is empty", param_hint=f"--{option}")
    filters = {k: v.strip() for k, v in given.items() if v}
    return filters | ({"since": since.date().isoformat()} if since else {})


def watch_feed(saved: dict, db_path: Path) -> str:
    from pipeline.watch import match, notify

    return match.feed_url(saved, db_path.stem, notify.site_url())


@watch.command("list")
@db_option
def watch_list(db_path):
    """List the watches: words, filters, where they send, what they sent, their feed."""
    from pipeline.store import open_readonly, watches

    path = watches.watches_path(db_path)
    if not path.exists():
        click.echo("no watches")
        return
    wdb = open_readonly(path)  # writes nothing: works on a read-only copy
    saved = watches.list_watches(wdb)
    for row in saved:
        filters = " ".join(f"--{k} {v}" for k, v in sorted(row["filters"].items()))
        counts = watches.counts(wdb, row["name"])
        record = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("sent", "pending", "unconfirmed"))
        target = row["target"] or "nobody (feed only)"
        click.echo(f"{row['name']}: {row['query']!r} {filters}".rstrip())
        click.echo(f"  to {row['channel']} {target}; {record}; since {row['created']}")
        click.echo(f"  feed: {watch_feed(row, db_path)}")
    wdb.close()
    if not saved:
        click.echo("no watches")


@watch.command("remove")
@click.argument("name")
@db_option
def watch_remove(name, db_path):
    """Forget the watch NAME and its record of notices."""
    from pipeline.store import watches

    if not watches.watches_path(db_path).exists():
        raise click.BadParameter(f"no watch named {name}", param_hint="NAME")
    wdb = watches.open_watches(db_path)
    try:
        if not watches.remove_watch(wdb, name):
            raise click.BadParameter(f"no watch named {name}", param_hint="NAME")
    finally:
        wdb.close()
    click.echo(f"watch {name} removed")


@watch.command("notify")
@click.argument("names", nargs=-1)
@db_option
def watch_notify(names, db_path):
    """Send the new matches of every watch (or those NAMES) now, as after a crawl.

    Exit status 1 when a notice could not be sent (it is tried again by the next run).
    """
    from pipeline.watch.notify import notify

    outcomes = notify(db_path, list(names) or None)
    for outcome in outcomes:
        click.echo(outcome_line(outcome) or f"{outcome.name}: nothing new")
    sys.exit(EXIT_FAILED if any(o.error for o in outcomes) else 0)


def outcome_line(outcome) -> str | None:
    """A watch's run in one line (None when it had nothing to send)."""
    if outcome.error:
        return (
            f"{outcome.name}: not sent to {outcome.target}: {outcome.error}; "
            f"{outcome.pending} posts left for the next run"
        )
    if outcome.sent:
        return f"{outcome.name}: {outcome.sent} new posts sent to {outcome.target}"
    return None


def notify_watches(db_path: Path, say_sent: bool) -> None:
    """After a crawl's report: the watches' notices. A failure is one warning line; it does
    not change the crawl's exit status (what was not sent is tried again next run)."""
    try:
        from pipeline.watch.notify import notify

        outcomes = notify(db_path)
    except Exception as error:  # noqa: BLE001 - the crawl's answer stands whatever happens here
        why = " ".join(problem(error).split())
        click.echo(f"stdnews crawl: warning: watches not notified: {why}", err=True)
        return
    for outcome in outcomes:
        line = outcome_line(outcome)
        if line and outcome.error:
            click.echo(f"stdnews crawl: warning: watch {line}", err=True)
        elif line and say_sent:
            click.echo(f"watch {line}", err=True)
