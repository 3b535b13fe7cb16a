import pytest

from pipeline.normalize import standards


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("certified to ISO 9001:2015 and ISO 14001", ["ISO 9001:2015", "ISO 14001"]),
        ("ISO/IEC 27001 and iso/iec 27002", ["ISO/IEC 27001"]),
        ("the IEC 62443-3-3 requirements", ["IEC 62443-3-3"]),
        ("ISO/IEC Guide 98-3 (GUM)", ["ISO/IEC GUIDE 98-3"]),
        ("IEC TS 63069 and ISO/IEC TR 24028", ["IEC TS 63069", "ISO/IEC TR 24028"]),
        ("ISO 14064-1 and ISO 14064-1", ["ISO 14064-1"]),
        ("the 2020 IEC General Meeting; ISO 2030 strategy", []),
    ],
)
def test_standard_references_are_normalized(text, expected):
    assert standards.standards(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ISO/TC 207 on environmental management", ["ISO/TC 207"]),
        ("IEC TC 57 and IEC SC 65C", ["IEC TC 57", "IEC SC 65C"]),
        ("ISO/IEC JTC 1/SC 42, the AI committee", ["ISO/IEC JTC 1/SC 42"]),
        ("ISO/TC 176/SC 2 maintains ISO 9001", ["ISO/TC 176/SC 2"]),
    ],
)
def test_committee_references_are_normalized(text, expected):
    assert standards.committees(text) == expected
