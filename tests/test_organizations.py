"""Organization mentions: names and acronyms, not standards, e-mails, URLs or parts of words."""

import pytest

from pipeline.normalize import organizations, vocab


def ids(title, text, publisher=None):
    return {o["id"]: (o["role"], o["count"]) for o in organizations.find(title, text, publisher)}


def test_gazetteer_is_large_and_consistent():
    orgs = vocab.organizations()
    assert len(orgs) >= 80
    assert len({o["id"] for o in orgs}) == len(orgs)
    by_id = {o["id"]: o for o in orgs}
    for org_id, acronym in (
        ("iso", "ISO"),
        ("iec", "IEC"),
        ("bipm", "BIPM"),
        ("oecd", "OECD"),
        ("un", "UN"),
    ):
        assert by_id[org_id]["acronym"] == acronym


def test_names_and_acronyms_both_count():
    found = ids("", "The International Electrotechnical Commission (IEC) and ISO met. IEC said.")
    assert found["iec"] == ("mentioned", 3)
    assert found["iso"] == ("mentioned", 1)


def test_a_standard_reference_is_not_an_organization_mention():
    assert "iso" not in ids("", "Certified to ISO 9001:2015 and ISO/IEC 27001 by ISO/TC 176.")


def test_emails_and_urls_are_not_mentions():
    assert ids("", "Write to press@iso.org or see https://www.oecd.org/gov/io.htm") == {}


def test_the_mask_blanks_overlapping_spans_and_keeps_offsets():
    text = "See https://www.iso.org/ISO-9001.html, ISO 9001:2015 (ISO/IEC 27001) and the ISO."
    masked = organizations.mask(text)
    assert len(masked) == len(text)
    assert masked.split() == ["See", "(", ")", "and", "the", "ISO."]  # URL, references blanked
    assert organizations.mentions(text) == {"iso": 1}


def test_acronyms_are_whole_tokens():
    found = ids("", "UNESCO and the UN; a fUNd; UNIDO.")
    assert found["un"] == ("mentioned", 1)
    assert {"unesco", "unido"} <= set(found)


@pytest.mark.parametrize("text", ["EC rules", "the SAC meeting"])
def test_ambiguous_acronyms_need_the_full_name(text):
    assert ids("", text) == {}


def test_ambiguous_acronym_counts_with_its_name():
    found = ids("", "The European Commission (EC) said the EC would act.")
    ec = next(o for o in vocab.organizations() if o["acronym"] == "EC")
    assert found[ec["id"]] == ("mentioned", 3)


def test_publisher_comes_first_with_its_role():
    found = organizations.find("ISO news", "ISO and the OECD.", publisher="iso")
    assert [(o["id"], o["role"], o["count"]) for o in found[:2]] == [
        ("iso", "publisher", 2),
        ("oecd", "mentioned", 1),
    ]
