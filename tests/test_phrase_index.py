"""The word-pair index of the ranked search (posts_pairs_fts, pipeline/store/search.py): a phrase
found there gives the same posts with the same BM25 scores as posts_fts, and the index follows
every insert, update and delete of a post."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace

import pytest

from bench import corpus
from pipeline import store
from pipeline.store import search
from pipeline.store.migrations import PAIRS_TRIGGERS, index_pairs_pending, pairs_indexed
from tests.conftest import both_ways
from tests.test_store import POST

# Texts whose tokens are not plain ASCII words: accents, other scripts, punctuation inside and
# around words, no-break and other spaces, digits, symbols, a token FTS5 splits in three.
ODD_TEXTS = [
    "L’état-major de l’OIML a révisé la norme « ISO/IEC 17025:2017 » en 2024 — déjà publiée.",
    "Международная организация по стандартизации (ИСО) опубликовала ISO 9001:2015 сегодня.",
    "Le\u00a0Bureau\u2009international des poids\u202fet mesures; le BIPM, l'OIML, the SI's units.",
    "国际标准化组织 发布 新标准 ISO 14001 与 IEC 62443-3-3 ... 🌍 climate, net-zero.",
    "Smart grids: IEC 61850 & IEC 62351 (cyber-security) for “energy” systems... 50 % Ökostrom.",
    "C++ and C# tools, e-mail, ½-day  workshop, naïve coöperation, Æsir façade, Straße, İstanbul.",
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("pairs") / "news.db"
    corpus.generate(path, posts=300, seed=11)
    db = store.open_db(path)
    for number, text in enumerate(ODD_TEXTS):
        post = replace(
            POST,
            id=f"odd{number}",
            url=f"{POST.url}?odd={number}",
            text=text,
            title=text[:40],
            content_hash=f"odd{number}",
        )
        store.save_post(db, post)
    yield db
    db.close()


def sample_phrases(db, count: int, words: int) -> list[str]:
    """`count` runs of `words` whitespace-separated words, drawn from the stored texts."""
    rng = random.Random(words)
    texts = [t for (t,) in db.execute("select title || ' ' || text from posts order by id")]
    phrases = []
    while len(phrases) < count:
        chunks = rng.choice(texts).split()
        if len(chunks) > words:
            start = rng.randrange(len(chunks) - words)
            phrase = " ".join(chunks[start : start + words]).replace('"', "")
            if len(search.TOKENIZER.tokens(phrase)) >= 2:
                phrases.append(phrase)
    return phrases


@pytest.mark.parametrize("words", [2, 3])
def test_a_phrase_gets_the_same_posts_and_scores_from_either_index(generated, words):
    phrases = sample_phrases(generated, 150, words)
    for text in ODD_TEXTS:
        chunks = text.split()
        phrases += [" ".join(chunks[i : i + words]) for i in range(len(chunks) - words + 1)]
    found = 0
    for phrase in phrases:
        if len(search.TOKENIZER.tokens(phrase)) < 2:
            continue
        from_words, from_pairs = both_ways(generated, phrase)
        assert from_pairs == from_words, phrase
        found += bool(from_words)
    assert found >= 150  # the drawn phrases occur, so these are real comparisons


def test_only_searches_of_phrases_go_to_the_pair_index():
    assert search.pairs_query('"with work"') == '"with_work"'
    assert search.pairs_query('"Safety of the Worlds"') == '"safeti_of of_the the_world"'
    assert search.pairs_query('"with work" "ISO/IEC"') == '"with_work" "iso_iec"'
    for words_only in (
        "with",
        '"with work" safety',
        '"with work" OR safety',
        "metrolog*",
        '"with work"*',
        "",
        '"with"',
    ):
        assert search.pairs_query(words_only) is None, words_only
    assert search.words_query('"with work"') == search.NOTHING


def delete_by_hand(db, post_id: str) -> None:
    """A post and its links deleted by plain SQL, as another tool would (no save_post): every
    table whose foreign key names posts first, read from the schema so a new link table is
    covered."""
    for table in db.table_names():
        for fk in db[table].foreign_keys:
            if fk.other_table == "posts":
                db.execute(f"delete from [{table}] where [{fk.column}] = ?", [post_id])
    db.execute("delete from posts where id = ?", [post_id])


def test_the_pair_index_follows_updates_and_deletes(db):
    store.save_post(db, POST)
    assert both_ways(db, "developing countries")[1]
    changed = replace(POST, text="Most members are now from emerging economies.", content_hash="h2")
    store.save_post(db, changed)
    for phrase in ("developing countries", "emerging economies", "ISO’s Action"):
        from_words, from_pairs = both_ways(db, phrase)
        assert from_pairs == from_words, phrase
    assert not both_ways(db, "developing countries")[1]
    assert both_ways(db, "emerging economies")[1]
    with db.conn:
        delete_by_hand(db, POST.id)
        assert db["posts_pairs_pending"].count == 1  # a write outside save_post waits
        assert index_pairs_pending(db.conn) == 1
    assert both_ways(db, "emerging economies") == ([], [])
    # a contentless FTS5 table checks its own structure
    db.execute("insert into posts_pairs_fts(posts_pairs_fts) values('integrity-check')")


def test_posts_written_by_another_tool_are_indexed_when_stdnews_opens(tmp_path):
    db = store.open_db(tmp_path / "news.db")
    store.save_post(db, POST)
    db.close()
    plain = sqlite3.connect(tmp_path / "news.db")  # no fts_pairs() here, and no need of it
    plain.execute("update posts set text = 'Emerging economies lead.' where id = ?", [POST.id])
    plain.commit()
    plain.close()
    db = store.open_db(tmp_path / "news.db")
    assert db["posts_pairs_pending"].count == 0
    from_words, from_pairs = both_ways(db, "emerging economies")
    assert from_pairs == from_words != []
    assert both_ways(db, "developing countries") == ([], [])


def test_the_index_is_rebuilt_when_its_triggers_are_gone(tmp_path):
    db = store.open_db(tmp_path / "news.db")
    store.save_post(db, POST)
    for name in PAIRS_TRIGGERS:
        db.execute(f"drop trigger {name}")
    db.execute("update posts set text = 'Emerging economies lead.' where id = ?", [POST.id])
    db.conn.commit()
    db.close()
    db = store.open_db(tmp_path / "news.db")
    assert pairs_indexed(db)
    from_words, from_pairs = both_ways(db, "emerging economies")
    assert from_pairs == from_words != []


def test_the_tokenizer_forgets_without_losing_tokens():
    small = search.Tokenizer()
    small.LIMIT = 3  # forgets what it knows on almost every text
    for text in ODD_TEXTS + ODD_TEXTS[::-1]:
        assert small.tokens(text) == search.TOKENIZER.tokens(text)
    assert len(small.known) <= 3 + len(set(ODD_TEXTS[0].split()))


# sqlite3 reports the error raised inside the SQL function (when callback tracebacks are on)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_rebuild_killed_half_way_is_done_again_next_time(tmp_path, monkeypatch):
    db = store.open_db(tmp_path / "news.db")
    for number in range(5):
        post = replace(
            POST, id=f"p{number}", url=f"{POST.url}?n={number}", content_hash=f"h{number}"
        )
        store.save_post(db, post)
    for name in PAIRS_TRIGGERS:
        db.execute(f"drop trigger {name}")
    db.close()
    calls, real = [], search.pairs_text

    def failing(text):
        calls.append(text)
        if len(calls) > 4:
            raise RuntimeError("killed")
        return real(text)

    with monkeypatch.context() as patched:
        patched.setattr(search, "pairs_text", failing)
        # The command that opened it says so in one line (store.DatabaseUnusable).
        with pytest.raises(store.DatabaseUnusable, match="function raised exception"):
            store.open_db(tmp_path / "news.db")
    db = store.open_db(tmp_path / "news.db")
    assert pairs_indexed(db)
    from_words, from_pairs = both_ways(db, "developing countries")
    assert len(from_pairs) == 5
    assert from_pairs == from_words


def test_a_post_given_another_rowid_is_indexed_under_it(db):
    store.save_post(db, POST)
    with db.conn:
        db.execute("update posts set rowid = 999 where id = ?", [POST.id])
        index_pairs_pending(db.conn)
    from_words, from_pairs = both_ways(db, "developing countries")
    assert from_pairs == from_words
    assert [rowid for rowid, _ in from_pairs] == [999]


def test_a_rowid_freed_by_hand_and_taken_by_a_new_post(db):
    """A post deleted by plain SQL, then a new post stored under the same rowid (SQLite reuses
    the largest): the index drops the old text and holds the new one."""
    store.save_post(db, POST)
    with db.conn:
        delete_by_hand(db, POST.id)
    other = replace(
        POST,
        id="other",
        url=f"{POST.url}?other",
        text="Emerging economies lead.",
        content_hash="h9",
    )
    store.save_post(db, other)
    assert both_ways(db, "developing countries") == ([], [])
    from_words, from_pairs = both_ways(db, "emerging economies")
    assert from_pairs == from_words != []
