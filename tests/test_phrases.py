"""The words phrase matching reads: a text's words, a part of them, and those outside masks."""

import random
import re

import pytest

from pipeline.normalize import organizations, tags
from pipeline.normalize.phrases import Words, post_text, words_of

TEXTS = [
    "",
    "   ",
    "ISO",
    "  Über die ISO/IEC 27001:2022 — und l'AFNOR!  ",
    "İstanbul, ΣΊΣΥΦΟΣ, 国际标准化组织 (ISO) and the OECD’s 2024 report_v2.",
    "e-mail press@iso.org; see https://www.iso.org/news.html.\n\nNext paragraph ends",
]


def by_regex(text: str) -> Words:
    """What the words of a text are, the slow and obvious way."""
    matches = list(re.finditer(r"\w+", text))
    words = [m.group() for m in matches]
    return Words(
        [m.start() for m in matches], [m.end() for m in matches], words, [w.lower() for w in words]
    )


@pytest.mark.parametrize("text", TEXTS)
def test_words_and_where_they_stand(text):
    assert words_of(text) == by_regex(text)


def test_a_part_is_the_words_of_that_part_of_the_text():
    title, text = "Climate", "change is on the agenda."
    whole = post_text(title, text)
    offset = len(whole) - len(text)
    body = words_of(whole).part(offset, len(whole))
    assert body.words == words_of(text).words
    assert [start - offset for start in body.starts] == words_of(text).starts
    assert words_of(whole).part(0, len(title)).words == ["Climate"]


def test_no_topic_phrase_joins_the_title_to_the_body():
    assert tags.evidence("Climate", "change is on the agenda.")["climate-change"][1] == ["Climate"]
    assert tags.evidence("Climate change", "")["climate-change"][1] == ["Climate change"]


def blanked(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def test_words_outside_masks_are_the_words_of_the_masked_text():
    rng = random.Random(20261130)
    cut = kept = 0
    for _ in range(3000):
        text = rng.choice(TEXTS[3:]) * rng.randrange(1, 3)
        spans = [sorted(rng.sample(range(len(text) + 1), 2)) for _ in range(rng.randrange(4))]
        found = words_of(text).without(spans)
        masked = blanked(text, spans)
        if found is None:  # a span cuts a word: its remainder would be a word of its own
            cut += 1
            words = by_regex(text)
            assert any(
                start < edge < end
                for s, e in spans
                if e > s
                for edge in (s, e)
                for start, end in zip(words.starts, words.ends, strict=True)
            )
        else:
            kept += 1
            assert found == words_of(masked)
    assert cut > 500  # both ways were tried
    assert kept > 500


def test_organizations_read_the_same_words_either_way():
    text = "ISO and IEC: ISO/IEC 27001, ISO 9001:2015; write to info@oecd.org, see www.bipm.org."
    spans = organizations._masks(text)
    assert words_of(text).without(spans) == words_of(organizations.mask(text))
    assert organizations.mentions(text) == {"iso": 1, "iec": 1}
