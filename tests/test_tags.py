"""Tags: site tags kept as written; topics assigned with the words that matched."""

from pipeline import tags, vocab


def test_vocabulary_has_about_thirty_topics_with_keywords():
    topics = vocab.topics()
    assert 25 <= len(topics) <= 45
    assert all(t["keywords"] for t in topics)


def test_topics_explain_their_match():
    found = {
        t["name"]: t
        for t in tags.topics("Artificial intelligence standard", "The AI committee SC 42 met.")
    }
    ai = next(t for name, t in found.items() if "artificial" in name.lower())
    assert ai["origin"] == "topic"
    assert "AI" in ai["matched"]


def test_short_acronym_keywords_are_case_sensitive():
    found = {t["id"] for t in tags.topics("", "He said ai and maintained the main drain.")}
    assert "topic:artificial-intelligence" not in found


def test_site_tags_are_kept_and_deduplicated():
    assert [
        t["name"] for t in tags.site_tags(["Capacity building", "capacity  building", " "])
    ] == ["Capacity building"]
