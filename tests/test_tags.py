"""Tags: site tags kept as written; topics assigned on evidence, with the words that matched."""

from pipeline.normalize import tags, vocab
from pipeline.normalize.phrases import PhraseMatcher


def topic_ids(title: str, text: str) -> set[str]:
    return {t["id"].removeprefix("topic:") for t in tags.topics(title, text)}


def test_vocabulary_has_about_thirty_topics_with_keywords():
    topics = vocab.topics()
    assert 25 <= len(topics) <= 45
    assert all(t["keywords"] for t in topics)
    for topic in topics:  # a keyword is strong or weak evidence for a topic, not both
        assert not set(topic["keywords"]) & set(topic.get("weak") or []), topic["id"]
    tags.matcher.cache_clear()
    assert tags.matcher()  # every keyword parses (a "*" too early would raise)


def test_topics_explain_their_match():
    found = {
        t["name"]: t
        for t in tags.topics("Artificial intelligence standard", "The AI committee SC 42 met.")
    }
    ai = next(t for name, t in found.items() if "artificial" in name.lower())
    assert ai["origin"] == "topic"
    assert {"Artificial intelligence", "AI", "SC 42"} <= set(ai["matched"])


def test_short_acronym_keywords_are_case_sensitive():
    found = {t["id"] for t in tags.topics("", "He said ai and maintained the main drain.")}
    assert "topic:artificial-intelligence" not in found


def test_a_passing_mention_is_not_a_topic():
    text = (
        "The OECD report looks at plastic pollution across its member countries. "
        "Landfill taxes have helped some countries to divert waste from landfills. "
        "Hospitals, shops and offices produce a growing share of plastic waste. "
        "Recycling rates remain low, and plastic leakage into the environment keeps growing."
    )
    found = topic_ids("Plastic pollution keeps growing", text)
    assert "environment" in found
    assert not found & {"taxation", "health"}


def test_a_topic_discussed_in_the_body_counts_without_the_title():
    text = (
        "The new guidance was prepared by experts from twelve countries.\n\n"
        "It helps utilities protect their control systems against cyberattacks. "
        "It builds on IEC 62443, the series for industrial cybersecurity. "
        "Operators can use it with ISO/IEC 27001 for information security."
    )
    found = {t["id"]: t for t in tags.topics("New guidance for utilities", text)}
    assert "topic:cybersecurity" in found
    assert {"cyberattacks", "IEC 62443", "ISO/IEC 27001"} <= set(
        found["topic:cybersecurity"]["matched"]
    )


def test_evidence_is_counted_in_sentences():
    listed = "The IEC runs four systems: IECEE, IECEx, IECQ and IECRE. The post is about people."
    assert tags.evidence("", listed)["conformity-assessment"][0] == 1.0  # a list counts once
    assert "conformity-assessment" not in topic_ids("", listed)
    discussed = "Certification matters. Accreditation helps. The IECEE runs the CB Scheme."
    assert tags.evidence("", discussed)["conformity-assessment"][0] == 3.0
    assert "conformity-assessment" in topic_ids("", discussed)


def test_weak_keywords_need_more_support_than_strong_ones():
    weak = "Health matters. The pandemic went on. Many patients waited. Hospitals were full."
    assert tags.evidence("", weak)["health"][0] == 4 * tags.WEAK
    assert "health" not in topic_ids("", weak)
    # ... but a strong keyword in the title decides on its own, and a weak one helps.
    assert "health" in topic_ids("New rules for medical devices", "The rules apply in 2026.")
    assert "health" not in topic_ids("Hospitals adopt new rules", "The rules apply in 2026.")
    assert "health" in topic_ids("Hospitals adopt new rules", "Public health gains. " + weak)


def test_long_posts_need_a_share_of_their_sentences():
    mentions = "Trade barriers rose. The WTO met. Tariffs fell. "
    filler = "This sentence is about nothing in particular. " * 40
    assert "trade" in topic_ids("", mentions + filler[:200])
    assert tags.needed(43) > tags.MIN_SUPPORT
    assert "trade" not in topic_ids("", mentions + filler)


def test_french_page_gets_its_topics():
    title = "Journée mondiale de la métrologie 2024 : Durabilité"
    text = (
        "La Journée mondiale de la métrologie commémore la signature de la Convention du Mètre. "
        "La durabilité dépend de la mesure.\n\n"
        "La surveillance des gaz à effet de serre et des émissions repose sur des mesures "
        "traçables au Système international d'unités (SI). "
        "Ce thème s'inscrit dans le Programme de développement durable à l'horizon 2030. "
        "Les instituts nationaux de métrologie contribuent aux objectifs de développement "
        "durable. Le BIPM organisera un webinaire sur la métrologie pour le climat."
    )
    found = topic_ids(title, text)
    assert {"events-meetings", "metrology-si", "sustainable-development-goals"} <= found
    assert "health" not in found


def test_russian_keywords_match_their_inflections():
    title = "План действий ИСО для развивающихся стран на 2021–2025 годы"
    assert "capacity-building" in topic_ids(title, "")
    text = (
        "Изменение климата касается всех. Меры против изменения климата требуют стандартов. "
        "Выбросы парниковых газов нужно измерять."
    )
    assert "climate-change" in topic_ids("", text)


def test_a_word_of_a_phrase_ending_in_a_star_is_a_prefix():
    matcher = PhraseMatcher()
    matcher.add("изменени* климата", "climate")
    matcher.add("developing countr*", "developing")
    matcher.add("COP2*", "cop", exact=True)
    found = [
        (m, p)
        for _, _, m, p in matcher.finditer(
            "Изменения климата, developing countries, COP26, cop26, изменение погоды."
        )
    ]
    assert found == [
        ("Изменения климата", "climate"),
        ("developing countries", "developing"),
        ("COP26", "cop"),
    ]


def test_site_tags_are_kept_and_deduplicated():
    assert [
        t["name"] for t in tags.site_tags(["Capacity building", "capacity  building", " "])
    ] == ["Capacity building"]
