"""Publication dates: parse each signal's format, keep its precision and where it came from.

Known formats are parsed by hand (fast, exact); dateparser is the multilingual fallback for
human-written dates only, called with a language hint because it is slow without one.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import dateparser

PRECISIONS = ("day", "month", "year")
EARLIEST = date(1900, 1, 1)

MONTHS: dict[str, int] = {}
for _names in (
    "january february march april may june july august september october november december",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь",
):
    for _number, _name in enumerate(_names.split(), start=1):
        MONTHS.setdefault(_name, _number)
MONTHS["sept"] = 9

_MONTH = "(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
# "9 November 2020", "9 novembre 2020", "9 de mayo de 2021", "12-May-2020", "9 ноября 2020 г."
DAY_MONTH_YEAR = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:er)?[\s\-]+(?:de\s+)?{_MONTH}[\s\-,]+(?:de\s+)?(?P<year>\d{{4}})\b",
    re.IGNORECASE,
)
# "November 9, 2020"
MONTH_DAY_YEAR = re.compile(
    rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}),?\s+(?P<year>\d{{4}})\b", re.IGNORECASE
)
ISO_LIKE = re.compile(
    r"^\s*(?P<year>\d{4})-?(?P<month>\d{2})(?:-?(?P<day>\d{2}))?"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?)?\s*$"
)
# OECD press releases open with a day-first dateline: "03/05/2024 – " or "02/03/2021 - ".
DAY_FIRST_DATELINE = re.compile(
    r"^\s*(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})\s*[–—-]\s"
)
# Old IEC news releases: "Geneva, Switzerland, 2017-10-03".
PLACE_ISO_DATELINE = re.compile(
    r"^\s*[A-Z][\w .'-]+,\s*[A-Z][\w .'-]+,\s*(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b"
)
URL_DATES = (
    # BIPM Liferay slugs: /en/-/2022-12-19-si-prefixes
    (re.compile(r"/-/(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})-"), "day"),
    # BIPM year-only slugs: /en/-/2021-kg-consensus
    (re.compile(r"/-/(?P<year>\d{4})-(?!\d{2}-\d{2}-)"), "year"),
    # /news/2021/05/..., /contents/news/2021/05/..., /2024/05/ (OECD, WordPress)
    (re.compile(r"/(?P<year>(?:19|20)\d{2})/(?P<month>[01]\d)/"), "month"),
    # BIPM old site: /full-stories/2020-09-oecd-io-meeting.html
    (re.compile(r"/(?P<year>(?:19|20)\d{2})-(?P<month>[01]\d)[-/]"), "month"),
)


@dataclass(frozen=True)
class PubDate:
    """A publication date as ISO 8601 at its precision, and the signal that gave it."""

    value: str
    precision: str
    source: str

    @property
    def year(self) -> int:
        return int(self.value[:4])

    def first_day(self) -> date:
        """The earliest day the value can mean ("2021" -> 2021-01-01)."""
        day = self.value[:10]
        return date.fromisoformat({4: f"{day}-01-01", 7: f"{day}-01"}.get(len(day), day))


def make(
    year: int,
    month: int | None,
    day: int | None,
    source: str,
    now: datetime | None = None,
    moment: datetime | None = None,
) -> PubDate | None:
    """A PubDate if the parts form a real date between 1900 and now (+1 day for time zones)."""
    try:
        first = date(year, month or 1, day or 1)
    except ValueError:
        return None
    latest = (now or datetime.now(UTC)).date() + timedelta(days=1)
    if first < EARLIEST or first > latest:
        return None
    if moment is not None:
        return PubDate(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "day", source)
    if day:
        return PubDate(first.isoformat(), "day", source)
    if month:
        return PubDate(first.strftime("%Y-%m"), "month", source)
    return PubDate(f"{year:04d}", "year", source)


def parse_machine(value: str | None, source: str, now: datetime | None = None) -> PubDate | None:
    """ISO 8601 and its compact forms: 2020-11-09, 2020-11-09T09:00:00+01:00, 20201109, 2020-11."""
    match = ISO_LIKE.match(value or "")
    if not match:
        return None
    year, month, day = int(match["year"]), int(match["month"]), match["day"]
    moment = None
    if day and match["time"] and match["tz"]:
        try:
            moment = datetime.fromisoformat(
                f"{match['year']}-{match['month']}-{day}T"
                f"{match['time']}{match['tz'].replace('Z', '+00:00')}"
            )
        except ValueError:
            return None
    return make(year, month, int(day) if day else None, source, now, moment)


def parse_human(
    text: str | None, source: str, language: str | None = None, now: datetime | None = None
) -> PubDate | None:
    """A date written for people ("9 November 2020", "12-May-2020", "9 novembre 2020")."""
    text = (text or "").strip()
    if not text:
        return None
    for pattern in (DAY_MONTH_YEAR, MONTH_DAY_YEAR):
        match = pattern.search(text)
        if match:
            month = MONTHS[match["month"].lower().rstrip(".")]
            return make(int(match["year"]), month, int(match["day"]), source, now)
    machine = parse_machine(text, source, now)
    if machine or len(text) > 40:
        return machine
    # Last resort for short date strings in other shapes or languages.
    settings = {"REQUIRE_PARTS": ["year", "month"], "RETURN_AS_TIMEZONE_AWARE": False}
    parsed = dateparser.parse(text, languages=[language] if language else None, settings=settings)
    return make(parsed.year, parsed.month, parsed.day, source, now) if parsed else None


def parse_rfc822(value: str | None, source: str, now: datetime | None = None) -> PubDate | None:
    """RSS dates: "Mon, 10 May 2021 08:00:00 +0000"."""
    try:
        moment = email.utils.parsedate_to_datetime(value or "")
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return make(moment.year, moment.month, moment.day, source, now, moment)


def parse_any(value: str | None, source: str, language: str | None = None,
              now: datetime | None = None) -> PubDate | None:  # fmt: skip
    """A date in any of the formats above, most exact first."""
    return (
        parse_machine(value, source, now)
        or parse_rfc822(value, source, now)
        or parse_human(value, source, language, now)
    )


def from_dateline(text: str | None, now: datetime | None = None) -> PubDate | None:
    """A dateline that opens the body: "03/05/2024 – ..." or "Geneva, Switzerland, 2017-10-03"."""
    head = (text or "")[:200]
    match = DAY_FIRST_DATELINE.match(head) or PLACE_ISO_DATELINE.match(head)
    if not match:
        return None
    return make(int(match["year"]), int(match["month"]), int(match["day"]), "dateline", now)


def from_url(url: str, now: datetime | None = None) -> PubDate | None:
    """A date in the URL path, at the precision the URL shape carries."""
    for pattern, precision in URL_DATES:
        match = pattern.search(url)
        if match:
            parts = match.groupdict()
            month = int(parts["month"]) if precision in ("day", "month") else None
            day = int(parts["day"]) if precision == "day" else None
            return make(int(parts["year"]), month, day, "url", now)
    return None


YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(?:de\s+)?(?P<year>(?:19|20)\d{{2}})\b", re.IGNORECASE)
ISO_DATE = re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b")
DAY_FIRST = re.compile(r"\b(?P<day>[0-3]?\d)/(?P<month>[01]?\d)/(?P<year>(?:19|20)\d{2})\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Mention:
    """A date the text mentions (an event, a deadline), with the sentence it stands in."""

    date: str
    precision: str
    text: str
    sentence: str


def mentions(text: str) -> list[Mention]:
    """Dates mentioned in a text, in order: day-level forms first, then "Month YYYY"."""
    found: list[tuple[int, int, PubDate]] = []
    taken: list[tuple[int, int]] = []
    # Every form holds a four-digit year: only the text around years is searched (it is fast).
    windows = [(max(0, m.start() - 40), m.end() + 1) for m in YEAR.finditer(text)]
    for pattern in (DAY_MONTH_YEAR, MONTH_DAY_YEAR, ISO_DATE, DAY_FIRST, MONTH_YEAR):
        for match in (m for start, end in windows for m in pattern.finditer(text, start, end)):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            parts = match.groupdict()
            month = parts["month"]
            month = MONTHS[month.lower().rstrip(".")] if not month.isdigit() else int(month)
            day = int(parts["day"]) if parts.get("day") else None
            date_ = make(int(parts["year"]), month, day, "text", datetime(2100, 1, 1, tzinfo=UTC))
            if date_:
                found.append((match.start(), match.end(), date_))
                taken.append(match.span())
    return [
        Mention(d.value, d.precision, text[start:end], _sentence(text, start, end))
        for start, end, d in sorted(found, key=lambda f: f[0])
    ]


def _sentence(text: str, start: int, end: int) -> str:
    bounds = [0] + [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text) + 1]
    first = max(b for b in bounds if b <= start)
    last = min((b for b in bounds if b > end), default=len(text))
    return " ".join(text[first:last].split())
