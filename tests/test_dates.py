from datetime import UTC, datetime

import pytest

from pipeline.normalize import dates

NOW = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected", "precision"),
    [
        ("2020-11-09", "2020-11-09", "day"),
        ("20210510", "2021-05-10", "day"),
        # With no zone known, an instant keeps the offset it was written with.
        ("2020-11-09T09:00:00+01:00", "2020-11-09T09:00:00+01:00", "day"),
        ("2020-11-09T09:00:00+00:00", "2020-11-09T09:00:00Z", "day"),
        ("2024-05-03T10:00:00Z", "2024-05-03T10:00:00Z", "day"),
        ("2020-09", "2020-09", "month"),
    ],
)
def test_machine_dates(value, expected, precision):
    found = dates.parse_machine(value, "meta", NOW)
    assert (found.value, found.precision, found.source) == (expected, precision, "meta")


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("9 November 2020", "en", "2020-11-09"),
        ("November 9, 2020", "en", "2020-11-09"),
        ("12-May-2020", "en", "2020-05-12"),
        ("3 septembre 2020", "fr", "2020-09-03"),
        ("1er décembre 2021", "fr", "2021-12-01"),
        ("5 de mayo de 2021", "es", "2021-05-05"),
        ("19 ноября 2022 г.", "ru", "2022-11-19"),
    ],
)
def test_human_dates_in_four_languages(text, language, expected):
    assert dates.parse_human(text, "site", language, NOW).value == expected


@pytest.mark.parametrize(
    ("url", "expected", "precision"),
    [
        ("https://www.bipm.org/en/-/2022-12-19-si-prefixes", "2022-12-19", "day"),
        ("https://www.bipm.org/en/-/2021-kg-consensus", "2021", "year"),
        (
            "https://www.bipm.org/en/news/full-stories/2020-09-oecd-io-meeting.html",
            "2020-09",
            "month",
        ),
        ("https://www.iso.org/contents/news/2021/05/Ref2667.html", "2021-05", "month"),
    ],
)
def test_dates_in_urls(url, expected, precision):
    found = dates.from_url(url, NOW)
    assert (found.value, found.precision, found.source) == (expected, precision, "url")


def test_url_without_date():
    assert dates.from_url("https://www.iec.ch/blog/understanding-iec-62443", NOW) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/05/2024 – The 2024 OECD Ministerial Council Meeting adopted", "2024-05-03"),
        ("02/03/2021 - The OECD will publish its latest Interim Economic Outlook", "2021-03-02"),
        ("Geneva, Switzerland, 2017-10-03 – The IEC today", "2017-10-03"),
    ],
)
def test_datelines_are_day_first(text, expected):
    assert dates.from_dateline(text, NOW).value == expected


def test_a_date_in_the_middle_of_the_text_is_not_a_dateline():
    assert dates.from_dateline("The Council session on 13 November 2020 will meet.", NOW) is None


@pytest.mark.parametrize("value", ["2027-01-01", "1899-12-31", "2021-02-30", "not a date", ""])
def test_guards_reject_future_ancient_and_invalid(value):
    assert dates.parse_machine(value, "meta", NOW) is None


def test_a_json_ld_list_of_dates_gives_its_first_and_other_values_nothing():
    assert dates.parse_machine(["2022-02-25", "2023-01-01"], "json-ld", NOW).value == "2022-02-25"
    assert dates.parse_machine({"@value": "2022-02-25"}, "json-ld", NOW) is None
    assert dates.parse_machine(20220225, "json-ld", NOW) is None
