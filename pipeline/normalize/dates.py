"""Publication dates: parse each signal's format, keep its precision and where it came from.

Known formats are parsed by hand (fast, exact); dateparser is the multilingual fallback for
human-written dates only, called with a language hint because it is slow without one.

Time zones: an instant (a time with a zone or offset: an RSS pubDate, ISO 8601 with an offset, an
API's publicationDateTime) is read as a day in the source's own zone (`zone`, IANA) and kept as
local time with its offset ("2026-09-09T00:00:00+02:00"), so that its first ten characters are
that day. Editors date a post in their office's calendar: OECD's RSS gives "Tue, 08 Sep 2026
22:00:00 GMT" for a post its readers see dated 9 September (local midnight in Paris), and reading
the instant in UTC would put every such post on the day before. A date without a time is a day
already and is never shifted. With no zone known, an instant keeps the offset it was written with
(a page's "2023-11-08T20:00:00-08:00" is the 8th where it was written); "Z" or GMT stays UTC.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    "januar februar märz april mai juni juli august september oktober november dezember",
    "jänner feber märz april mai juni juli august september oktober november dezember",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "januari februari maart april mei juni juli augustus september oktober november december",
    "janv févr mars avr mai juin juil août sept oct nov déc",
    "ene feb mar abr may jun jul ago sep oct nov dic",
    "jan feb mär apr mai jun jul aug sep okt nov dez",
    "янв фев мар апр мая июн июл авг сен окт ноя дек",
):
    for _number, _name in enumerate(_names.split(), start=1):
        MONTHS.setdefault(_name, _number)
MONTHS["sept"] = 9

_MONTH = "(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
# "9 November 2020", "9 novembre 2020", "9 de mayo de 2021", "12-May-2020", "9 ноября 2020 г.",
# "17. März 2026", "1st May 2020"
DAY_MONTH_YEAR = re.compile(
    rf"(?<![\w.])(?P<day>\d{{1,2}})(?:er|st|nd|rd|th|º)?\.?[\s\-]+(?:de\s+)?{_MONTH}"
    rf"[\s\-,]+(?:de\s+)?(?P<year>\d{{4}})\b",
    re.IGNORECASE,
)
# "November 9, 2020", "Nov. 9th, 2020"
MONTH_DAY_YEAR = re.compile(
    rf"(?<!\w){_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b",
    re.IGNORECASE,
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
    # /2021/05/10/slug (a day only when a whole path segment follows: /2021/05/10-tips is a slug)
    (re.compile(r"/(?P<year>(?:19|20)\d{2})/(?P<month>[01]\d)/(?P<day>[0-3]\d)(?:/|$)"), "day"),
    # /news/2021-05-10-slug, /2021-05-10/, /story_2021-05-10.html
    (
        re.compile(r"[/_-](?P<year>(?:19|20)\d{2})-(?P<month>[01]\d)-(?P<day>[0-3]\d)(?!\d)"),
        "day",
    ),
    # a whole path segment: /20200428/slug, /29-10-2021
    (re.compile(r"/(?P<year>(?:19|20)\d{2})(?P<month>[01]\d)(?P<day>[0-3]\d)(?:/|$)"), "day"),
    (re.compile(r"/(?P<day>[0-3]\d)-(?P<month>[01]\d)-(?P<year>(?:19|20)\d{2})(?:/|$)"), "day"),
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

    def relabel(self, source: str) -> PubDate:
        return PubDate(self.value, self.precision, source)

    @property
    def year(self) -> int:
        return int(self.value[:4])

    def first_day(self) -> date:
        """The earliest day the value can mean ("2021" -> 2021-01-01)."""
        day = self.value[:10]
        return date.fromisoformat({4: f"{day}-01-01", 7: f"{day}-01"}.get(len(day), day))


@cache
def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def make(
    year: int,
    month: int | None,
    day: int | None,
    source: str,
    now: datetime | None = None,
    moment: datetime | None = None,
    zone: str | None = None,
) -> PubDate | None:
    """A PubDate if the parts form a real date between 1900 and now (+1 day for time zones);
    an instant (`moment`) is given in the `zone` it was published in (see the module's note)."""
    if moment is not None:
        local = moment.astimezone(_zone(zone)) if _zone(zone) else moment
        year, month, day = local.year, local.month, local.day
    try:
        first = date(year, month or 1, day or 1)
    except ValueError:
        return None
    latest = (now or datetime.now(UTC)).date() + timedelta(days=1)
    if first < EARLIEST or first > latest:
        return None
    if moment is not None:
        if local.utcoffset():
            return PubDate(local.isoformat(timespec="seconds"), "day", source)
        return PubDate(local.strftime("%Y-%m-%dT%H:%M:%SZ"), "day", source)
    if day:
        return PubDate(first.isoformat(), "day", source)
    if month:
        return PubDate(first.strftime("%Y-%m"), "month", source)
    return PubDate(f"{year:04d}", "year", source)


def parse_machine(
    value: str | None, source: str, now: datetime | None = None, zone: str | None = None
) -> PubDate | None:
    """ISO 8601 and its compact forms: 2020-11-09, 2020-11-09T09:00:00+01:00, 20201109, 2020-11.
    A JSON-LD list of dates gives its first; other JSON values give nothing."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    match = ISO_LIKE.match(value) if isinstance(value, str) else None
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
    return make(year, month, int(day) if day else None, source, now, moment, zone)


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
    # Last resort for short date strings in other shapes or languages (slow to import: here).
    import dateparser

    settings = {"REQUIRE_PARTS": ["year", "month"], "RETURN_AS_TIMEZONE_AWARE": False}
    parsed = dateparser.parse(text, languages=[language] if language else None, settings=settings)
    return make(parsed.year, parsed.month, parsed.day, source, now) if parsed else None


def parse_rfc822(
    value: str | None, source: str, now: datetime | None = None, zone: str | None = None
) -> PubDate | None:
    """RSS dates: "Mon, 10 May 2021 08:00:00 +0000"."""
    try:
        moment = email.utils.parsedate_to_datetime(value or "")
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return make(moment.year, moment.month, moment.day, source, now, moment, zone)


def parse_any(
    value: str | None,
    source: str,
    language: str | None = None,
    now: datetime | None = None,
    zone: str | None = None,
) -> PubDate | None:
    """A date in any of the formats above, most exact first; instants as days in `zone`."""
    return (
        parse_machine(value, source, now, zone)
        or parse_rfc822(value, source, now, zone)
        or parse_human(value, source, language, now)
    )


NUMERIC_YMD = re.compile(
    r"(?<![\d.])(?P<year>(?:19|20)\d{2})(?P<sep>[-/.])(?P<month>[01]?\d)(?P=sep)(?P<day>[0-3]?\d)(?![\d])"
)
# 17/03/2026, 17.03.2026, 17-03-2026 (day first, as in every language we read but US English)
NUMERIC_DMY = re.compile(
    r"(?<![\d.:/])(?P<day>[0-3]?\d)(?P<sep>[-/.])(?P<month>[01]?\d)(?P=sep)(?P<year>(?:19|20)\d{2})(?![\d])"
)
# 02.12.19: German and Swiss bylines shorten the year
NUMERIC_DMY2 = re.compile(
    r"(?<![\d.:/])(?P<day>[0-3]?\d)\.(?P<month>[01]?\d)\.(?P<year>\d{2})(?![\d.]\d)"
)
TEXT_FORMS = (NUMERIC_YMD, NUMERIC_DMY, DAY_MONTH_YEAR, MONTH_DAY_YEAR, NUMERIC_DMY2)
# Words that say the date after them is the publication's: "Published on", "Erschienen am: ".
PUBLISHED_LABELS = (
    "published",
    "posted",
    "released",
    "publication date",
    "erschienen",
    "veröffentlicht",
    "publiziert",
    "publié",
    "mis en ligne",
    "publicado",
    "pubblicato",
    "опубликовано",
    "date",
    "datum",
    "fecha",
    "data",
)
# Words that make the date after them an update, not the publication.
UPDATE_LABEL = re.compile(
    r"(updat|modif|revis|actualis|mis à jour|mise à jour|aktualisiert|änder|обновл|edited)"
    r"[^\d]{0,20}$",
    re.IGNORECASE,
)


def _parts(match: re.Match, month_first: bool) -> tuple[int, int, int]:
    number = _month(match["month"])
    day = int(match["day"])
    if match.re is NUMERIC_DMY and (month_first or number > 12) and day <= 12:
        day, number = number, day  # 03/17/2026: a US date
    year = int(match["year"])
    if year < 100:  # the century that puts it in the past
        year += 2000 if 2000 + year <= datetime.now(UTC).year else 1900
    return year, number, day


def in_text(
    text: str | None, source: str, now: datetime | None = None, month_first: bool = False
) -> PubDate | None:
    """The first day-level date written in a short text ("Posted on 17 March 2026", "17.03.2026",
    "2026-03-17", "March 17, 2026"), skipping one labelled as an update when another follows;
    else a "March 2026" as a month. US day order only with `month_first` or when nothing else
    fits ("03/17/2026")."""
    text = text or ""
    if not DIGIT.search(text):
        return None
    found = [found for pattern in TEXT_FORMS for found in _first(pattern, text, month_first, now)]
    if found:
        return min(found, key=lambda f: (f[1], f[0]))[2].relabel(source)
    match = MONTH_YEAR.search(text)
    if match:
        return make(int(match["year"]), _month(match["month"]), None, source, now)
    return None


def after_label(text: str | None, source: str, now: datetime | None = None) -> PubDate | None:
    """The first day written just after a publication label: "Published on 17 March 2026",
    "Erschienen am: 01.11.2023", "Publié le 3 mars 2021"; never one labelled as an update.
    Labels are found with str.find in the lower-cased text (a whole page's: a regex
    alternation would cost a step at every character)."""
    text = (text or "").lower()
    found = []
    for label in PUBLISHED_LABELS:
        at = text.find(label)
        while at != -1 and len(found) < 50:
            end = at + len(label)
            if _whole_word(text, at, end):
                found += [(at, day) for day in [_labelled_day(text, at, end, source, now)] if day]
            at = text.find(label, end)
    return min(found, key=lambda f: f[0])[1] if found else None


def _whole_word(text: str, start: int, end: int) -> bool:
    # Letters only: serialized text runs "14:49<br>Erschienen" together as "14:49Erschienen".
    return (start == 0 or not text[start - 1].isalpha()) and (
        end == len(text) or not text[end].isalpha()
    )


def _labelled_day(text: str, start: int, end: int, source: str, now) -> PubDate | None:
    if UPDATE_LABEL.search(text[max(0, start - 12) : start]):
        return None  # "updated date: ..."
    window = text[end : end + 48]
    for pattern in TEXT_FORMS:
        match = pattern.search(window)
        if match and match.start() <= 16 and not any(c.isdigit() for c in window[: match.start()]):
            return make(*_parts(match, False), source, now)
    return None


def _first(pattern: re.Pattern, text: str, month_first: bool, now) -> list:
    """(position, labelled as an update, date) of the pattern's first date, and of the ones
    before it that are labelled as updates."""
    found = []
    for match in pattern.finditer(text):
        result = make(*_parts(match, month_first), "text", now)
        if result:
            before = text[max(0, match.start() - 40) : match.start()]
            updated = UPDATE_LABEL.search(before) is not None
            found.append((match.start(), updated, result))
            if not updated:
                break
    return found


def _month(name: str) -> int:
    return int(name) if name.isdigit() else MONTHS[name.lower().rstrip(".")]


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
DIGIT = re.compile(r"\d")
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
