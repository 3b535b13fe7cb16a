"""People a post names with their role and the body they hold it at: "Dr Martin Milton, Director
of the BIPM", "ISO Secretary-General Sergio Mujica", "le Secrétaire général de l'OCDE, Mathias
Cormann", "Gary Sullivan, Chair of ISO/IEC JTC 1/SC 29".

Precision first (a wrong person is worse than a missed one), so a mention is read only from a
few constructions where a role word stands right beside a name, in one sentence:

- body and role, then the name: "ISO Secretary-General Sergio Mujica";
- role and body, a comma, the name: "the Director of the BIPM, Dr Martin Milton,";
- the name, a comma, role and body: "Anthony Donnellan, Director of the BIML";
- the name, then "was appointed", "was elected", "in his capacity as" ... and the role.

The body is an organization of the gazetteer (organizations.py) or a committee reference
(standards.py) written beside the role; a chair or convenor of a group the gazetteer does not
know ("chair of the fonts subgroup") is kept without a body. Not read: a role with no name ("the
OECD Secretary-General said"), a name with no role (nothing says who they are), text between
quotation marks (quoted speech, titles of publications), a role said to be past ("former ISO
President"), and candidate names that are organizations, committees, places or common words.
Names are keyed with titles (Dr, Prof, M., Mme...), case and accents aside, so that "Dr Martin
Milton" and "M. Martin Milton" are one person across posts, "Angel Gurría" and "Angel Gurria"
too. In a headline in Title Case a name ends before a headline's verb ("... Sergio Mujica Bids
Farewell"), and a name of more than two words there is not trusted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import NamedTuple

from pipeline.normalize import organizations, phrases, standards
from pipeline.normalize.types import PersonMention

# Role words as written (lower case) -> the role's name. French roles are named in English, so
# that a person's roles read the same in both languages; "président" of a committee is its Chair.
ROLES = {
    "secretary-general": "Secretary-General",
    "secretary general": "Secretary-General",
    "deputy secretary-general": "Deputy Secretary-General",
    "deputy secretary general": "Deputy Secretary-General",
    "general secretary": "General Secretary",
    "general secretary & ceo": "General Secretary & CEO",
    "general secretary and ceo": "General Secretary & CEO",
    "director-general": "Director-General",
    "director general": "Director-General",
    "deputy director-general": "Deputy Director-General",
    "deputy director general": "Deputy Director-General",
    "director": "Director",
    "deputy director": "Deputy Director",
    "executive director": "Executive Director",
    "managing director": "Managing Director",
    "president": "President",
    "vice-president": "Vice-President",
    "vice president": "Vice-President",
    "chair": "Chair",
    "chairman": "Chair",
    "chairwoman": "Chair",
    "chairperson": "Chair",
    "vice-chair": "Vice-Chair",
    "vice chair": "Vice-Chair",
    "chief executive officer": "CEO",
    "chief executive": "CEO",
    "ceo": "CEO",
    "chief economist": "Chief Economist",
    "chief scientist": "Chief Scientist",
    "head": "Head",
    "convenor": "Convenor",
    "convener": "Convenor",
    "treasurer": "Treasurer",
    "secretary": "Secretary",
    "secrétaire général": "Secretary-General",
    "secrétaire générale": "Secretary-General",
    "secrétaire général adjoint": "Deputy Secretary-General",
    "secrétaire générale adjointe": "Deputy Secretary-General",
    "directeur général": "Director-General",
    "directrice générale": "Director-General",
    "directeur": "Director",
    "directrice": "Director",
    "directeur exécutif": "Executive Director",
    "directrice exécutive": "Executive Director",
    "président": "President",
    "présidente": "President",
    "vice-président": "Vice-President",
    "vice-présidente": "Vice-President",
    "économiste en chef": "Chief Economist",
    "secrétaire": "Secretary",
    "animateur": "Convenor",
    "animatrice": "Convenor",
}
# A word every role has (lower case; test_people checks each role): a sentence without one is
# not read.
_ROLE_WORDS = """
    secretary director president chair chairman chairwoman chairperson ceo chief economist head
    convenor convener treasurer secrétaire directeur directrice président présidente économiste
    animateur animatrice"""
ROLE_WORDS = frozenset(_ROLE_WORDS.split())
# Of a committee, a president or vice-president is its chair (French "président du TC").
COMMITTEE_ROLES = {"President": "Chair", "Vice-President": "Vice-Chair"}
# Roles a group the gazetteer does not know may have ("chair of the fonts subgroup").
GROUP_ROLES = {"Chair", "Vice-Chair", "Convenor"}
ROLE = re.compile(
    r"(?<![\w-])(?i:"
    + "|".join(re.escape(r).replace(r"\ ", r"\s+") for r in sorted(ROLES, key=len, reverse=True))
    + r")(?![\w-])"
)

_HONORIFICS = "dr dr. prof prof. professor pr pr. mr mr. mrs mrs. ms ms. m. mme mlle sir dame h.e."
HONORIFICS = frozenset(_HONORIFICS.split())
PARTICLES = r"(?:de|da|di|du|del|della|der|den|van|von|dos|das|le|la|al|bin|ibn|ter|zu)"
# Capital letters of the Latin scripts (A-Z, accented, Latin Extended-A).
UPPER = "[" + "".join(c for c in map(chr, range(0x41, 0x250)) if c.isupper()) + "]"
TOKEN = rf"(?:(?:Dr|Mr|Mrs|Ms|Prof|Pr)\.|{UPPER}\.|{UPPER}[^\W\d_]+(?:[-'’][^\W\d_]+)*)"
NAME = rf"{TOKEN}(?:\s+(?:{PARTICLES}\s+){{0,2}}{TOKEN}){{1,5}}"
# Words that start a capitalized phrase but no person's name: sentence openers, calendar words,
# words of organizations', committees' and events' names, places, roles.
_NOT_NAME = """
    the a an this that these those his her their our its in on at by for of from with and or
    but as to le la les un une des du de et en au aux ce cette son sa ses leur selon pour par
    avec dans sur lors après avant mais ou according speaking meanwhile today yesterday also
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday janvier février mars avril mai juin
    juillet août septembre octobre novembre décembre lundi mardi mercredi jeudi vendredi
    world day week year month international national regional global general european
    organization organisation organizations organisations council committee commission
    comité group groups subgroup board bureau office agency institute institution association
    federation union forum summit conference meeting meetings assembly congress session
    programme program project report outlook review strategy plan action agenda framework
    declaration convention treaty agreement standard standards standardization normalisation
    metrology métrologie measurement measures weights electrotechnical technical management
    systems system technology technologies safety security energy environmental environment
    quality information engineering electrical electronic equipment materials products
    services health transport vehicles nuclear conformity assessment testing data software
    artificial intelligence digital climate change sustainable development goals goal
    economic economy trade finance financial tax policy policies education skills employment
    labour social affairs science innovation research university college school academy
    centre center foundation network partnership alliance initiative award awards prize
    prizes medal day days anniversary celebration celebrations message messages day's
    house palace hall headquarters city state states republic kingdom united nations new york
    geneva paris sèvres london brussels washington tokyo beijing south north east west
    central africa america asia europe oceania arab gulf pacific atlantic costa rica
    colombia saudi arabia sri lanka hong kong zealand korea san santa saint los las rio
    viet nam burkina faso sierra macedonia czech dominican puerto cabo verde equatorial guinea
    papua islands holy ivoire kitts nevis grenadines bosnia herzegovina dhabi buenos aires cape
    town kuala lumpur tel delhi mexico addis ababa dar salaam são sao janeiro emirates
    chair chairman chairwoman chairperson president présidente président vice deputy director
    directeur directrice secretary secrétaire general générale général chief executive
    officer head convenor convener treasurer minister ministers prime governor governors
    king queen prince princess emperor pope members member experts expert delegates delegate
    young professionals professional leaders leader officers staff team teams users partners
    ms mr mrs dr prof professor sir dame m mme"""
NOT_NAME = frozenset(_NOT_NAME.split())
# Verbs of headlines in Title Case that may follow a name ("... Sergio Mujica Bids Farewell").
_HEADLINE_VERBS = """
    says said bids calls opens welcomes joins named appointed elected takes launches highlights
    discusses visits speaks signs announces meets addresses urges warns presents receives wins
    leads hosts steps retires reflects looks talks shares unveils outlines stresses explains
    thanks celebrates marks honoured honored awarded becomes to on at in of for and with"""
HEADLINE_VERBS = frozenset(_HEADLINE_VERBS.split())
# Between a body and the role it names: "ISO Secretary-General", "the OECD's Director".
BODY_BEFORE = re.compile(r"\)?(?:['’]s)?\s+$")
# Between a role and its body: "Director of the BIPM", "Director for Trade at the OECD",
# "directeur du BIPM", "présidente de l'IEC", "directrice de la gouvernance publique de l'OCDE".
BODY_AFTER = re.compile(
    r"\s+(?:(?:for|of)\s+(?:the\s+)?[A-Z][\w’'-]*(?:\s+(?:and\s+|&\s+)?[A-Z][\w’'-]*){0,4}"
    r"(?:\s+(?:programme|program|department|division|directorate|centre|center|office|unit))?\s+)?"
    r"(?:of|at)\s+(?:the\s+)?$"
    r"|\s+(?:(?:de\s+la|de\s+l['’]|du|des|de|d['’])\s*"
    r"(?!\w*\s*(?:comité|groupe|conseil|bureau|sous-comité|commission)\b)"
    r"[^\W\d][\w’' -]{0,40}?\s+)?"
    r"(?:de\s+la|de\s+l['’]|du|des|de|d['’])\s*$"
)
# A group the gazetteer does not know, after a chair's role: "chair of the fonts subgroup".
GROUP = re.compile(r"\s+of\s+the\s+[\w’'-]+(?:\s+[\w’'-]+){0,3}?\s+(?:sub)?group\b", re.I)
# A name given first is a place when a preposition of place stands before it ("in Abu Dhabi,").
PLACE_BEFORE = re.compile(r"\b(?:in|at|à|en|near)\s+$")
# An area after the role: "Director for Education and Skills".
AREA = re.compile(rf"\s+for\s+{UPPER}[\w’'-]*(?:,?\s+(?:and\s+|&\s+)?{UPPER}[\w’'-]*){{0,5}}")
# A past role is not the person's role: "former ISO President", "l'ancien directeur".
PAST = re.compile(
    r"(?i)(?:\b(?:former|late|outgoing|then|past|ancien|ancienne|feu|précédent|précédente)"
    r"|\bex-)\s*(?:\w+(?:['’]s)?\s+)?(?:the\s+)?$"
)
# What may follow a name given after the role and a comma ("..., Dr Martin Milton, said").
NAME_END = re.compile(
    r"\s*(?:[,.;)]|$|\s+(?:said|says|added|noted|explained|stressed|underlined|welcomed|"
    r"announced|commented|told|thanked|a\s+déclaré|a\s+indiqué|a\s+souligné|a\s+ajouté|"
    r"a\s+rappelé|a\s+expliqué|a\s+annoncé|déclare|souligne|explique|rappelle)\b)"
)
# Before the role of a name given first: "Anthony Donnellan, Director of the BIML".
NAME_FIRST = re.compile(rf"(?<![\w-])({NAME}),\s+(?:the\s+|le\s+|la\s+|l['’]\s*)?$")
# A name, then words saying that the role is theirs.
NAME_TAKES = re.compile(
    rf"(?<![\w-])({NAME})\s+(?:"
    r"(?:has\s+been|have\s+been|was|is|will\s+be|had\s+been)\s+(?:(?:newly|recently|formally|"
    r"officially|unanimously)\s+)?(?:appointed|elected|re-elected|named|reappointed|confirmed)"
    r"\s+(?:as\s+)?"
    r"|(?:a\s+été|est|sera)\s+(?:nommée?|élue?|réélue?|désignée?)\s+(?:au\s+poste\s+de\s+|comme\s+)?"
    r"|(?:[a-z]+\s+){0,6}?(?:in\s+(?:his|her|their)\s+(?:official\s+|new\s+)?capacity\s+as"
    r"|(?:took|takes|will\s+take)\s+office\s+as)\s+"
    r")(?:the\s+|le\s+|la\s+|l['’]\s*)?(?:new\s+|next\s+|nouveau\s+|nouvelle\s+)?$"
)
# After a body and its role, the name: "ISO Secretary-General Sergio Mujica", "OECD Director
# for Education and Skills Andreas Schleicher".
DIRECT = re.compile(rf"(?:{AREA.pattern})?(?:\s+\([^()]{{1,60}}\))?\s+({NAME})")
# A body followed by one of its committees or boards is not the role's body: "Chair of IEC SyC
# SM", "Chair of the ISO Technical Management Board".
UNIT_AFTER = re.compile(
    r"\s+(?:(?:SyC|TC|SC|JTC|PC|WG|AG|SG)\b|(?:[A-Z][\w-]*\s+){0,3}"
    r"(?:Board|Council|Committee|Subcommittee|Group|Assembly)\b)"
)
# Words saying that a name given next takes the role: "elected Dr X as ISO President".
NAME_ELECTED = re.compile(
    rf"\b(?:elected|appointed|named|re-elected|reappointed)\s+({NAME})\s+as\s+(?:the\s+)?"
    r"(?:new\s+|next\s+)?$"
)
NAME_AFTER_COMMA = re.compile(rf",\s+({NAME})")
# Quotation marks: text between them is quoted speech or a title, not read.
QUOTED = re.compile(r"“[^”]{0,2000}”|«[^»]{0,2000}»|\"[^\"\n]{0,2000}\"|„[^“”]{0,2000}[“”]")
# A sentence ends at . ! ? followed by space and a capital or an opening quote, unless the dot
# ends a title or an initial ("Dr.", "M.", "J.").
SENTENCE_END = re.compile(rf"(?<=[.!?])[”\"»’]?\s+(?=[“\"«‘(]?\s?{UPPER})|\n+")
ABBREVIATION = re.compile(rf"(?:\b(?:Dr|Mr|Mrs|Ms|Prof|Pr|St|No|Mt|Jr|Sr|Ph|H\.E)|\b{UPPER})\.$")


class Body(NamedTuple):
    """An organization (gazetteer id) or a committee named in a sentence, where it stands."""

    start: int
    end: int
    organization: str | None
    committee: str | None
    # An acronym the gazetteer flags ambiguous ("IEA", "IECEE"): a body only right before a role
    # ("IEA Executive Director"), where the role says it names a body.
    ambiguous: bool = False


def find(title: str, text: str, language: str | None = None) -> list[PersonMention]:
    """The people the post names with a role, each (person, role, body) once, in order. Only
    the sentences with a role word are read (the role words are found in one pass)."""
    whole = phrases.post_text(title, text)
    words = phrases.words_of(whole)  # the organizations' stage splits the same text
    if ROLE_WORDS.isdisjoint(words.folded):
        return []
    masked = QUOTED.sub(lambda m: m[0][0] + " " * (len(m[0]) - 2) + m[0][-1], whole)
    spans = {
        sentence_around(masked, at)
        for at, word in zip(words.starts, words.folded, strict=True)
        if word in ROLE_WORDS
    }
    found: dict[tuple, PersonMention] = {}
    for start, end in sorted(spans):
        title = start == len(whole) - len(whole.lstrip())  # the first line: the title
        for mention in in_sentence(whole[start:end], masked[start:end], language, title):
            key = (mention["key"], mention["role"], mention["organization"], mention["committee"])
            found.setdefault(key, mention)
    return list(found.values())


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of the text, without the spaces around it."""
    start = 0
    for match in SENTENCE_END.finditer(text):
        if match[0].startswith("\n") or not ABBREVIATION.search(
            text, max(start, match.start() - 8), match.start()
        ):
            yield from stripped(text, start, match.start())
            start = match.end()
    yield from stripped(text, start, len(text))


# How far from a role word its sentence's ends are looked for (longer sentences are cut).
REACH = 1000


def sentence_around(text: str, at: int) -> tuple[int, int]:
    """(start, end) of the sentence around an offset, as sentence_spans() cuts the text."""
    start, end = max(0, at - REACH), min(len(text), at + REACH)
    for match in SENTENCE_END.finditer(text, start, end):
        if match[0].startswith("\n") or not ABBREVIATION.search(
            text, max(start, match.start() - 8), match.start()
        ):
            if match.end() <= at:
                start = match.end()
            elif match.start() >= at:
                end = match.start()
                break
    return next(stripped(text, start, end), (start, end))


def stripped(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The span without its leading and trailing spaces, unless nothing is left."""
    part = text[start:end]
    if part.strip():
        start += len(part) - len(part.lstrip())
        yield start, start + len(part.strip())


def sentences(text: str) -> Iterator[tuple[str, str]]:
    """(sentence, the sentence with quoted text blanked out) for each sentence of the text."""
    masked = QUOTED.sub(lambda m: m[0][0] + " " * (len(m[0]) - 2) + m[0][-1], text)
    for start, end in sentence_spans(masked):
        yield text[start:end], masked[start:end]


def in_sentence(
    sentence: str, masked: str, language: str | None, title: bool = False
) -> Iterator[PersonMention]:
    """The mentions of one sentence (masked: quotations blanked out, same offsets; title: the
    post's title, perhaps in Title Case)."""
    if not ROLE.search(masked):
        return
    bodies = find_bodies(masked)
    for role in ROLE.finditer(masked):
        found = read_role(masked, role, bodies)
        if found is None:
            continue
        role_name, start, end, body = found
        name = best_name(masked, start, end, body, bodies, title)
        if name is not None:
            if name.start < start and body is not None and body.end <= end:
                end = area.end() if (area := AREA.match(masked, end)) else end  # "for Trade"
            text = masked[start : name.start] if name.start >= end else masked[start:end]
            yield mention(name, sentence, role_name, text, body, language)


def read_role(
    sentence: str, role: re.Match, bodies: list[Body]
) -> tuple[str, int, int, Body | None] | None:
    """(role name, start, end, body) of the role phrase around a role word: "ISO
    Secretary-General", "Director of the BIPM", "chair of the fonts subgroup"; None when the
    role is said to be past or names no body."""
    before = next(
        (b for b in bodies if BODY_BEFORE.fullmatch(sentence[b.end : role.start()])), None
    )
    start = before.start if before else role.start()
    if PAST.search(sentence[max(0, start - 30) : start]):
        return None
    name = ROLES[" ".join(role[0].lower().split())]
    if before:
        body, end = before, role.end()
    elif after := body_after(sentence, role.end(), bodies):
        body, end = after, after.end
    elif name in GROUP_ROLES and (group := GROUP.match(sentence, role.end())):
        body, end = None, group.end()
    else:
        return None
    if body and body.committee:
        name = COMMITTEE_ROLES.get(name, name)
    return name, start, end, body


def find_bodies(sentence: str) -> list[Body]:
    """Committees, then organizations not inside one ("ISO" of "ISO/TC 207"), in order."""
    found = [
        Body(m.start(), m.end(), None, standards.committees(m[0])[0])
        for m in standards.COMMITTEE.finditer(sentence)
    ]
    for start, end, _, (org, how) in organizations.matcher().finditer(sentence):
        ambiguous = how == "acronym" and bool(org.get("ambiguous_acronym"))
        if not any(b.start <= start < b.end for b in found):
            found.append(Body(start, end, org["id"], None, ambiguous))
    return sorted(found)


def body_after(sentence: str, end: int, bodies: list[Body]) -> Body | None:
    """The body named right after the role ("of the BIPM", "de l'ISO"), if any."""
    for body in bodies:
        if (
            body.start >= end
            and not body.ambiguous
            and BODY_AFTER.fullmatch(sentence[end : body.start])
        ):
            return None if UNIT_AFTER.match(sentence, body.end) else body
        if body.start > end + 80:
            break
    return None


class Name(NamedTuple):
    """A name as written (with its titles) and where it starts."""

    text: str
    start: int


def best_name(
    sentence: str, start: int, end: int, body: Body | None, bodies: list[Body], title: bool
) -> Name | None:
    """The name the role phrase (start-end) is said of, by the constructions the module
    lists; None when there is none, or when a name before and a name after compete."""

    def valid(match: re.Match | None) -> Name | None:
        if match is None or (name := headline_cut(match[1], match.start(1), title)) is None:
            return None
        inside = any(b.start < name.start + len(name.text) and name.start < b.end for b in bodies)
        return None if inside else name

    if body is not None and body.start == start and (direct := valid(DIRECT.match(sentence, end))):
        return direct
    head = sentence[:start]
    first = valid(NAME_FIRST.search(head))
    if first and PLACE_BEFORE.search(head[: first.start]):
        first = None
    comma = NAME_AFTER_COMMA.match(sentence, end)
    after = valid(comma) if comma and NAME_END.match(sentence, comma.end()) else None
    if first and after:
        return None  # "In Abu Dhabi, the Director of the BIPM, Martin Milton": which one?
    return first or after or valid(NAME_TAKES.search(head)) or valid(NAME_ELECTED.search(head))


def headline_cut(written: str, start: int, title: bool) -> Name | None:
    """The name without the words of a headline after it ("ISO President Eddy Njoroge Opens
    ..."), if a person's; in a title, a name of more than two words is not trusted (a title in
    Title Case does not show where a name ends)."""
    tokens = written.split()
    cut = next((i for i, t in enumerate(tokens) if i >= 2 and t.lower() in HEADLINE_VERBS), None)
    if cut is not None:
        written = written[: written.index(tokens[cut - 1], len(" ".join(tokens[: cut - 1])))]
        written += tokens[cut - 1]
    found = person(written)
    if found is None or (title and len(found[1].split()) > 2):
        return None
    return Name(written, start)


def person(written: str) -> tuple[str | None, str, str] | None:
    """(titles, name, key) of a name as written, or None when it is no person's name: fewer
    than two words, an acronym, a common word, a place or a role among them."""
    tokens = written.split()
    titles = []
    while tokens and (tokens[0].lower() in HONORIFICS or tokens[0].lower() in NOT_NAME):
        word = tokens.pop(0)
        if word.lower() in HONORIFICS:
            titles.append(word)
        elif titles:
            return None  # "Dr World ..."
    # Particles inside a name ("Francesco La Camera", "Ursula von der Leyen") are not checked.
    words = tokens[:1] + [t for t in tokens[1:-1] if not re.fullmatch(PARTICLES, t, re.I)]
    words += tokens[-1:] if len(tokens) > 1 else []
    if not 2 <= len(words) <= 4 or len(words[-1].rstrip(".")) < 2:
        return None
    for word in words:
        bare = word.rstrip(".")
        if (
            bare.lower() in NOT_NAME
            or bare.lower() in HONORIFICS
            or (len(bare) > 1 and bare.isupper())
            or re.search(r"['’]s$", word)
        ):
            return None
    name = " ".join(tokens)
    return (" ".join(titles) or None), name, key(name)


def key(name: str) -> str:
    """A person's key: the name without accents, case or punctuation ("Angel Gurría" ->
    "angel-gurria")."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return "-".join(re.findall(r"[^\W_]+", plain.replace("’", "").replace("'", "")))


def mention(
    name: Name, sentence: str, role: str, role_text: str, body: Body | None, language: str | None
) -> PersonMention:
    titles, written, person_key = person(name.text)  # type: ignore[misc]
    return PersonMention(
        name=written,
        key=person_key,
        honorific=titles,
        role=role,
        role_text=" ".join(role_text.split()).strip(" ,"),
        organization=body.organization if body else None,
        committee=body.committee if body else None,
        sentence=sentence,
        language=language,
    )
