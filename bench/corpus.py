"""A seeded synthetic corpus of standards-body news, written with the real schema.

For scale tests and benchmarks: `generate(path, posts=100_000)` creates (or extends) a database
through `pipeline.store.open_db` (so every migration, index, FTS table and trigger is the real
one) and bulk-inserts posts with their links (organizations, tags, standards, committees, URLs,
mentioned dates, simhash bands) in a few transactions. Each drawn post is a `Post`, made into rows
by the store's own post_row and link_rows. The same seed gives the same corpus.

What makes it like the real corpus:
- four sources with their layout generations, URL shapes, date signals and precisions;
- body lengths drawn from a log-normal around 450 words (80-2,500), titles of 5-14 words;
- English, French, Spanish and Russian bodies (about 72/15/7/6 %), with Zipf-distributed words
  over each language's vocabulary, so search terms range from very common to rare;
- organizations of the gazetteer (data/organizations.yaml), the publisher first, and standard
  references (ISO 9001:2015, IEC 62443-3-3, ISO/IEC 27001 ...) written into the text where the
  link tables say they are;
- topics of data/topics.yaml and site tags; language versions sharing a story_id.

Not like it: simhash values are random (no near-duplicates are planted) and no raw pages exist.

    .venv/bin/python -m bench.corpus /tmp/news-100k.db --posts 100000
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.normalize import vocab  # noqa: E402
from pipeline.normalize.dates import Mention  # noqa: E402
from pipeline.normalize.types import Organization, Post  # noqa: E402
from pipeline.normalize.urls import url_id  # noqa: E402
from pipeline.store import open_db, optimize_search  # noqa: E402
from pipeline.store.duplicates import band_rows  # noqa: E402
from pipeline.store.migrations import index_pairs_pending  # noqa: E402
from pipeline.store.posts import insert_rows, link_rows, post_row  # noqa: E402

BATCH = 5_000
DOMAIN_SHARE = 0.03  # of the words of a body: domain words outside the post's topics

# Per source: publisher organization, layout generations with their share, URL template,
# date signal and precision, languages with their share. This is a model of each real site's
# output (knowledge, like a spider's), not a list of sources: a source without an entry here is
# crawled and served as any other, and is only absent from the synthetic benchmark corpus.
SOURCES = {
    "iec": {
        "organization": "iec",
        "generations": {"drupal": 0.7, "wordpress": 0.2, "newslog": 0.1},
        "url": {
            "drupal": "https://www.iec.ch/blog/{slug}",
            "wordpress": "https://blog.iec.ch/{y}/{m:02d}/{slug}/",
            "newslog": "https://www.iec.ch/newslog/{y}/nr{n}{yy:02d}.htm",
        },
        "date": {"drupal": "site", "wordpress": "site", "newslog": "dateline"},
        "languages": {"en": 1.0},
    },
    "bipm": {
        "organization": "bipm",
        "generations": {"liferay": 0.75, "legacy": 0.25},
        "url": {
            "liferay": "https://www.bipm.org/{lang}/-/{y}-{m:02d}-{d:02d}-{slug}",
            "legacy": "https://www.bipm.org/en/news/full-stories/{y}-{m:02d}-{slug}.html",
        },
        "date": {"liferay": "url", "legacy": "url"},
        "languages": {"en": 0.7, "fr": 0.3},
    },
    "iso": {
        "organization": "iso",
        "generations": {"jahia": 1.0},
        "url": {"jahia": "https://www.iso.org/{langpath}contents/news/{y}/{m:02d}/{slug}.html"},
        "date": {"jahia": "site"},
        "languages": {"en": 0.65, "fr": 0.12, "es": 0.1, "ru": 0.13},
    },
    "oecd": {
        "organization": "oecd",
        "generations": {"aem": 0.8, "newsroom": 0.2},
        "url": {
            "aem": "https://www.oecd.org/{lang}/about/news/press-releases/{y}/{m:02d}/{slug}.html",
            "newsroom": "https://www.oecd.org/newsroom/{slug}.htm",
        },
        "date": {"aem": "api", "newsroom": "listing"},
        "languages": {"en": 0.8, "fr": 0.2},
    },
}
SOURCE_SHARE = {"iec": 0.28, "bipm": 0.17, "iso": 0.3, "oecd": 0.25}

# Vocabulary per language: general words, most frequent first (Zipf weights follow the order),
# then after "|" domain words, drawn rarely and uniformly, so that a domain term occurs in a few
# per cent of posts; topic keywords (data/topics.yaml) go into the posts of their topics.
WORDS = {
    "en": """the of and to in a for is on that with as by this are international standards
    will be it from at new its has have an which their more can world experts countries work
    standard committee members technical development global industry published organization
    support also national quality safety systems measurement energy data digital management
    meeting years first help sustainable climate change security information public health
    economic policy government report use many other all between such these our through
    | conformity assessment electrical electronic smart devices testing certification trade
    innovation research training developing economies access environment environmental
    carbon emissions water food agriculture manufacturing supply chain risk services
    framework guidance requirements specification revision edition consensus stakeholders
    participation delegates general assembly council plenary session webinar conference
    launch announcement milestone anniversary celebration award young professionals
    programme capacity building partnership cooperation agreement memorandum signed
    artificial intelligence machine learning cybersecurity cyber attacks critical
    infrastructure grid renewables solar wind hydrogen batteries electric vehicles charging
    metrology kilogram metre second ampere kelvin mole candela units traceability calibration
    uncertainty laboratories accreditation comparisons time frequency atomic clocks quantum
    redefinition constants prefixes ronna quecto medical devices healthcare privacy cloud
    blockchain internet things semiconductors nanotechnology robotics automation factories
    buildings cities transport maritime aviation railways plastics recycling circular economy
    biodiversity oceans taxation inflation growth employment productivity education skills
    gender equality inclusion ageing migration housing finance investment banking insurance
    outlook forecast recession recovery pandemic vaccines resilience disaster adaptation
    mitigation net zero methane biofuels nuclear radiation dosimetry photonics optics
    acoustics ultrasound chemistry biology reference materials spectrometry""",
    "fr": """de la le et les des à en du un une pour est dans que par sur au avec qui ce
    plus sont normes internationales internationale normalisation pays membres comité
    technique travaux organisation | mesure mesures métrologie système unités qualité sécurité
    énergie numérique données gestion réunion années développement durable climat changement
    santé publique économie politique rapport experts monde nouvelle nouveau publié
    évaluation conformité électrique électrotechnique essais certification commerce
    innovation recherche formation économies accès environnement carbone émissions eau
    alimentation agriculture industrie chaîne risque services cadre exigences spécification
    révision édition consensus parties prenantes délégués assemblée générale conseil session
    conférence lancement anniversaire programme partenariat coopération accord signé
    intelligence artificielle cybersécurité infrastructures réseau renouvelables solaire
    hydrogène batteries véhicules kilogramme mètre seconde temps fréquence horloges
    quantique constantes préfixes laboratoires étalonnage incertitude traçabilité
    dispositifs médicaux vie privée villes transports plastiques recyclage biodiversité
    océans fiscalité croissance emploi productivité éducation compétences égalité inclusion
    finances investissement perspectives prévisions reprise résilience adaptation atténuation
    nucléaire rayonnements chimie biologie matériaux référence""",
    "es": """de la el en y los las a del que un una para por con se es su al como más
    normas internacionales normalización países miembros comité técnico trabajo organización
    | medición calidad seguridad energía digital datos gestión reunión años desarrollo
    sostenible clima cambio salud pública economía política informe expertos mundo nueva
    nuevo publicada evaluación conformidad eléctrica ensayos certificación comercio
    innovación investigación formación acceso medio ambiente carbono emisiones agua
    alimentación agricultura industria cadena riesgo servicios marco requisitos revisión
    edición consenso partes interesadas delegados asamblea general consejo sesión
    conferencia lanzamiento aniversario programa asociación cooperación acuerdo firmado
    inteligencia artificial ciberseguridad infraestructura red renovables solar hidrógeno
    baterías vehículos dispositivos médicos privacidad ciudades transporte plásticos
    reciclaje biodiversidad océanos crecimiento empleo educación igualdad inclusión
    finanzas inversión perspectivas resiliencia adaptación mitigación""",
    "ru": """и в на с по для что не от к о из как это его а также будет были при международные
    стандарты стандартизации страны члены комитет технический работы организация | измерения
    качество безопасность энергия цифровой данные управление заседание годы развитие
    устойчивое климат изменение здоровье экономика политика доклад эксперты мир новый
    опубликован оценка соответствия электрический испытания сертификация торговля инновации
    исследования обучение доступ окружающая среда углерод выбросы вода продовольствие
    сельское хозяйство промышленность цепочки риск услуги требования пересмотр издание
    консенсус заинтересованные стороны делегаты генеральная ассамблея совет сессия
    конференция запуск годовщина программа партнерство сотрудничество соглашение
    искусственный интеллект кибербезопасность инфраструктура сети возобновляемые водород
    медицинские изделия города транспорт пластмассы переработка рост занятость образование
    равенство финансы инвестиции устойчивость адаптация""",
}
LANGUAGE_PATH = {"en": "", "fr": "fr/", "es": "es/", "ru": "ru/"}

# Standard families with their usual parts and editions; references are drawn from these.
STANDARD_FAMILIES = [
    ("ISO 9001", [], ["2008", "2015"]),
    ("ISO 14001", [], ["2004", "2015"]),
    ("ISO/IEC 27001", [], ["2013", "2022"]),
    ("ISO/IEC 27002", [], ["2022"]),
    ("ISO 45001", [], ["2018"]),
    ("ISO 50001", [], ["2011", "2018"]),
    ("ISO 26000", [], ["2010"]),
    ("ISO 31000", [], ["2018"]),
    ("ISO 37001", [], ["2016"]),
    ("ISO/IEC 42001", [], ["2023"]),
    ("ISO/IEC 22989", [], ["2022"]),
    ("ISO 22000", [], ["2018"]),
    ("ISO 13485", [], ["2016"]),
    ("ISO 14064", ["1", "2", "3"], ["2018", "2019"]),
    ("ISO 14068", ["1"], ["2023"]),
    ("ISO/IEC 17025", [], ["2017"]),
    ("ISO/IEC 17065", [], ["2012"]),
    ("ISO 19650", ["1", "2"], ["2018"]),
    ("IEC 62443", ["2-1", "2-4", "3-2", "3-3", "4-1", "4-2"], ["2018", "2020"]),
    ("IEC 61850", ["7-420", "90-1"], ["2019"]),
    ("IEC 61508", ["1", "2", "3"], ["2010"]),
    ("IEC 60601", ["1", "2-4"], ["2005", "2020"]),
    ("IEC 60050", [], []),
    ("IEC 62351", ["3", "8"], []),
    ("IEC 61400", ["1", "2", "12-1"], ["2019"]),
    ("IEC 62619", [], ["2022"]),
    ("IEC 63119", ["1"], []),
    ("IEC 61851", ["1", "23"], ["2017"]),
    ("ISO 15118", ["2", "20"], ["2022"]),
    ("ISO 26262", ["1", "6"], ["2018"]),
]
COMMITTEES = [
    "ISO/TC 207",
    "ISO/TC 176",
    "ISO/IEC JTC 1",
    "ISO/IEC JTC 1/SC 42",
    "IEC TC 57",
    "IEC TC 65",
    "ISO/TC 322",
    "IEC TC 8",
    "ISO/TC 268",
    "IEC TC 120",
]
SITE_TAGS = [
    "Press release",
    "Events",
    "Standards development",
    "Environment",
    "Economy",
    "Digital",
    "Energy",
    "Education",
    "Members",
    "Governance",
    "Trade",
]


def zipf_weights(n: int, exponent: float = 1.0) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


class Corpus:
    """Draws posts; one instance per seed."""

    def __init__(self, seed: int = 1):
        self.rng = np.random.default_rng(seed)
        split = {lang: text.split("|") for lang, text in WORDS.items()}
        self.words = {lang: np.array(general.split()) for lang, (general, _) in split.items()}
        self.domain = {lang: np.array(domain.split()) for lang, (_, domain) in split.items()}
        self.word_p = {lang: zipf_weights(len(w), 0.9) for lang, w in self.words.items()}
        orgs = [o for o in vocab.organizations() if o.get("acronym")]
        self.orgs = orgs
        self.org_p = zipf_weights(len(orgs), 1.1)
        self.topics = list(vocab.topics())
        self.topic_p = zipf_weights(len(self.topics), 0.8)
        self.family_p = zipf_weights(len(STANDARD_FAMILIES), 0.9)
        self.committee_p = zipf_weights(len(COMMITTEES), 1.0)
        self.organizations_by_id = {o["id"]: o for o in vocab.organizations()}

    def pick(self, options: dict):
        keys = list(options)
        return keys[self.rng.choice(len(keys), p=np.array(list(options.values())))]

    def sentences(self, lang: str, words: int, topics: list[dict] = ()) -> list[str]:
        drawn = self.words[lang][self.rng.choice(len(self.words[lang]), words, p=self.word_p[lang])]
        domain = self.rng.random(words) < DOMAIN_SHARE
        drawn[domain] = self.domain[lang][
            self.rng.integers(len(self.domain[lang]), size=domain.sum())
        ]
        drawn = drawn.astype(object)
        for topic in topics:  # a topic's keywords, about one word in 60 each
            keywords = [k.rstrip("*") for k in topic["keywords"] if len(k.rstrip("*")) > 2]
            for at in self.rng.integers(words, size=max(1, words // 60)):
                drawn[at] = keywords[int(self.rng.integers(len(keywords)))]
        out, i = [], 0
        while i < len(drawn):
            n = int(self.rng.integers(8, 30))
            chunk = list(drawn[i : i + n])
            chunk[0] = chunk[0].capitalize()
            out.append(" ".join(chunk) + ".")
            i += n
        return out

    def standard(self) -> str:
        family, parts, years = STANDARD_FAMILIES[
            self.rng.choice(len(STANDARD_FAMILIES), p=self.family_p)
        ]
        ref = family
        if parts and self.rng.random() < 0.6:
            ref += "-" + parts[self.rng.integers(len(parts))]
        if years and self.rng.random() < 0.4:
            ref += ":" + years[self.rng.integers(len(years))]
        return ref

    def post(self, number: int) -> dict:
        rng = self.rng
        source = self.pick(SOURCE_SHARE)
        spec = SOURCES[source]
        generation = self.pick(spec["generations"])
        lang = self.pick(spec["languages"]) if generation not in ("legacy", "newsroom") else "en"
        day = date(2005, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 21 + 330)))
        precision = "day"
        if generation == "legacy":
            precision = "month"
        elif source == "bipm" and rng.random() < 0.05:
            precision = "year"
        published = {"day": day.isoformat(), "month": day.isoformat()[:7], "year": str(day.year)}[
            precision
        ]
        if spec["date"][generation] == "api":
            published += f"T{int(rng.integers(6, 18)):02d}:00:00Z"
        mentioned = self.mentioned_orgs(spec["organization"])
        standards = sorted({self.standard() for _ in range(int(rng.poisson(1.2)))})
        committees = sorted(
            {
                COMMITTEES[rng.choice(len(COMMITTEES), p=self.committee_p)]
                for _ in range(int(rng.poisson(0.4)))
            }
        )
        topics = sorted(
            {
                int(rng.choice(len(self.topics), p=self.topic_p))
                for _ in range(int(rng.integers(1, 6)))
            }
        )
        topic_rows = [self.topics[t] for t in topics]
        title_words = self.sentences(lang, int(rng.integers(5, 15)), topic_rows[:1])[0][:-1]
        title = title_words
        if standards and rng.random() < 0.3:
            title += f": {standards[0]}"
        elif rng.random() < 0.3:
            title = f"{self.organizations_by_id[mentioned[-1][0]]['acronym']} {title_words}"
        body_words = int(np.clip(rng.lognormal(np.log(450), 0.5), 80, 2500))
        sentences = self.sentences(lang, body_words, topic_rows)
        inserts = (
            [
                self.organizations_by_id[oid]["acronym"]
                for oid, _, count in mentioned
                for _ in range(count)
            ]
            + standards
            + committees
        )
        for insert in inserts:
            k = int(rng.integers(len(sentences)))
            sentences[k] = sentences[k][:-1] + f" {insert}."
        paragraphs, i = [], 0
        while i < len(sentences):
            n = int(rng.integers(3, 7))
            paragraphs.append(" ".join(sentences[i : i + n]))
            i += n
        text = "\n\n".join(paragraphs)
        slug = "-".join(w for w in title_words.lower().split()[:8] if w.isalnum())
        slug += f"-{number}"
        y, m, d = day.year, day.month, day.day
        url = spec["url"][generation].format(
            slug=slug,
            y=y,
            m=m,
            d=d,
            yy=y % 100,
            n=number,
            lang=lang,
            langpath=LANGUAGE_PATH[lang],
        )
        tags = [
            {
                "id": f"topic:{self.topics[t]['id']}",
                "name": self.topics[t]["name"],
                "origin": "topic",
            }
            for t in topics
        ]
        if source != "bipm" and rng.random() < 0.6:
            name = SITE_TAGS[int(rng.integers(len(SITE_TAGS)))]
            tags.insert(
                0, {"id": "site:" + name.lower().replace(" ", "-"), "name": name, "origin": "site"}
            )
        return {
            "url": url,
            "source": source,
            "generation": generation,
            "language": lang,
            "title": title,
            "published": published,
            "precision": precision,
            "published_source": spec["date"][generation],
            "text": text,
            "words": body_words,
            "organizations": mentioned,
            "standards": standards,
            "committees": committees,
            "tags": tags,
            "day": day,
        }

    def mentioned_orgs(self, publisher: str) -> list[tuple[str, str, int]]:
        """(organization id, role, count): the publisher first, then 1-12 others."""
        chosen = [(publisher, "publisher", int(self.rng.integers(1, 6)))]
        seen = {publisher}
        for index in self.rng.choice(len(self.orgs), int(self.rng.integers(1, 13)), p=self.org_p):
            org = self.orgs[int(index)]["id"]
            if org not in seen:
                seen.add(org)
                chosen.append((org, "mentioned", int(self.rng.integers(1, 4))))
        return chosen


def as_post(drawn: dict, story_id: str, now: str) -> Post:
    """The Post normalization would have made of a drawn post."""
    pid = url_id(drawn["url"])
    day, text, precision = drawn["day"], drawn["text"], drawn["precision"]
    mention = Mention(day.isoformat(), "day", day.strftime("%d %B %Y"), text[:120])
    return Post(
        id=pid,
        source=drawn["source"],
        url=drawn["url"],
        story_id=story_id,
        generation=drawn["generation"],
        title=drawn["title"],
        title_source="og:title" if drawn["source"] != "oecd" else "api",
        published=drawn["published"],
        published_precision=precision,
        published_source=drawn["published_source"],
        published_year=day.year,
        mentioned_dates=[mention] if len(text) % 3 == 0 else [],
        simhash=int.from_bytes(hashlib.sha256(pid.encode()).digest()[:8], "big", signed=True),
        published_month=drawn["published"][:7] if precision != "year" else None,
        language=drawn["language"],
        description=text[:200].rsplit(" ", 1)[0] + " …",
        text=text,
        text_source="site:article",
        word_count=drawn["words"],
        content_hash=hashlib.sha256(f"{drawn['title']}\n{text}".encode()).hexdigest(),
        http_status=200,
        fetched_at=now,
        organizations=[
            organization(oid, role, count) for oid, role, count in drawn["organizations"]
        ],
        tags=[{**t, "matched": []} for t in drawn["tags"]],
        standards=drawn["standards"],
        committees=drawn["committees"],
    )


def rows_for(post: Post, now: str) -> dict[str, list[dict]]:
    """The rows of every table for one post, as the store makes them."""
    return {
        "posts": [{**post_row(post), "first_seen": now, "last_seen": now}],
        **link_rows(post, now),
        "simhash_bands": band_rows(post.id, post.simhash),
    }


@cache
def gazetteer() -> dict[str, dict]:
    return {o["id"]: o for o in vocab.organizations()}


def organization(org_id: str, role: str, count: int) -> Organization:
    org = gazetteer()[org_id]
    return Organization(
        id=org_id, acronym=org.get("acronym"), name=org["name"], role=role, count=count
    )


def generate(path: str | Path, posts: int = 100_000, seed: int = 1, progress=None) -> dict:
    """Write `posts` drawn posts into the database at path; returns row counts per table."""
    db = open_db(path)
    corpus = Corpus(seed)
    now = datetime(2026, 11, 1, tzinfo=UTC).isoformat(timespec="seconds")
    start = db["posts"].count
    tags, standards, committees = {}, set(), set()
    stories: list[str] = []
    for offset in range(0, posts, BATCH):
        batch: dict[str, list[dict]] = {}
        for number in range(start + offset, start + min(offset + BATCH, posts)):
            post = corpus.post(number)
            # About one post in ten is a language version of an earlier story of its source.
            translation = post["language"] != "en" and stories and corpus.rng.random() < 0.5
            story = stories[int(corpus.rng.integers(len(stories)))] if translation else None
            rows = rows_for(as_post(post, story or url_id(post["url"]), now), now)
            if not translation:
                stories.append(rows["posts"][0]["id"])
            for table, table_rows in rows.items():
                batch.setdefault(table, []).extend(table_rows)
            tags.update({t["id"]: t for t in post["tags"]})
            standards.update(post["standards"])
            committees.update(post["committees"])
        with db.conn:
            insert_rows(db.conn, "tags", list(tags.values()))
            insert_rows(db.conn, "standards", [{"id": s} for s in sorted(standards)])
            insert_rows(db.conn, "committees", [{"id": c} for c in sorted(committees)])
            for table, table_rows in batch.items():
                insert_rows(db.conn, table, table_rows)
            index_pairs_pending(db.conn)  # the phrase index, as save_post keeps it
        if progress:
            progress(min(offset + BATCH, posts))
    optimize_search(db)  # as after a reprocess: one full-text segment
    db.execute("analyze")
    counts = {
        t: db[t].count
        for t in ("posts", "post_organizations", "post_tags", "post_standards", "post_committees")
    }
    db.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()

    def progress(n: int) -> None:
        print(f"\r{n} posts", end="", file=sys.stderr)

    counts = generate(args.path, args.posts, args.seed, progress=progress)
    print(file=sys.stderr)
    print(f"{args.path}: {counts} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
