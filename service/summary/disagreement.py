"""Where sources disagree: clauses of different articles about the same thing that take
opposite stances — one denies what the other affirms ("did not rule out deploying U.S.
peacekeepers" against "pledged to avoid direct troop deployment"), one says up where the other
says down, or they give different numbers for the same thing.

"The same thing" is strict, since a false disagreement is worse than a missed one: the two
clauses share a named actor (a person, country or body) and at least one other content word,
together a good share of the shorter clause, and a negation bears on a shared word that is not
a name (one of the three content words right after it). Only clauses are compared, so a
negation elsewhere in a long sentence does not count."""

import re
from dataclasses import dataclass
from itertools import combinations

from service.answer.evidence import Sentence
from service.retrieval.terms import normalise_word, terms, words

MAX_DISAGREEMENTS = 2
MIN_OVERLAP = 0.4  # shared content terms / content terms of the shorter clause
SCOPE = 3  # content words after a negation that it bears on

_NEGATOR = re.compile(r"^(?:not|no|never|neither|nor|without|cannot|none|\w+n[’']t)$", re.I)
_NEGATIVE_VERB = frozenset(
    "avoid refus reject deni declin oppos halt abandon scrap withdraw withdrew withdrawn".split()
)
_UP = frozenset("rise rose risen increas grow grew grown expand rais climb surg soar".split())
_DOWN = frozenset("fall fell fallen decreas shrink shrank cut drop lower reduc plung".split())
# Words that carry no subject of their own: reporting, modality, time, vague modifiers.
_LIGHT = frozenset(
    terms(
        "said says say stated told added noted according wrote asked declared indicated "
        "may might must shall can possibility possible potential idea chance prospect plan "
        "previous recent new next last first second former current major key several many "
        "other further week day year month time also rule out reportedly today yesterday "
        "tomorrow monday tuesday wednesday thursday friday saturday sunday january february "
        "march april june july august september october november december"
    )
)
_SYNONYMS = {"peacekeep": "troop", "soldier": "troop", "servicemen": "troop"}
_QUANTITY = re.compile(
    r"(?<![\w.])\$?(\d[\d,]*(?:\.\d+)?)\s*(million|billion|thousand|percent|%)?"
    r"[\s‘’'\"“”]*([A-Za-z][A-Za-z-]+)"
)
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
# Clause boundaries: punctuation, and the conjunctions that turn a sentence's stance.
_CLAUSE_BREAK = re.compile(
    r"[,;:—–]\s*|\s+(?=(?:but|while|whereas|instead|although|though|yet)\b)", re.I
)
_TOKEN = re.compile(r"(?:[A-Za-z]\.){2,}|[\w’'-]+")


@dataclass(frozen=True)
class Clause:
    sentence: Sentence
    start: int  # offsets in the document text
    end: int
    terms: frozenset[str]  # content terms
    entities: frozenset[str]  # the content terms written with a capital: names, places, bodies
    scope: frozenset[str] | None  # terms a negation bears on; None when there is no negation
    stance: int  # +1 affirms, -1 denies (negations and denying verbs, counted by parity)
    quantities: frozenset[tuple[str, float]]  # (unit term, value)

    @property
    def text(self) -> str:
        offset = self.sentence.start
        return self.sentence.text[self.start - offset : self.end - offset]


@dataclass(frozen=True)
class Disagreement:
    subject: str
    first: Clause  # the affirming side
    second: Clause
    overlap: float


def _term(word: str) -> str:
    if not terms(word):
        return ""
    term = normalise_word(word)
    return _SYNONYMS.get(term, term)


def analyse(sentence: Sentence, start: int, core: str) -> Clause:
    tokens = words(core)
    found = [_term(token) for token in tokens]
    content = {t for t in found if t and t not in _LIGHT and t not in _NEGATIVE_VERB}
    entities = {t for t, w in zip(found, tokens, strict=True) if t in content and w[0].isupper()}
    flips = 0
    scope: set[str] = set()
    for index, (token, term) in enumerate(zip(tokens, found, strict=True)):
        if (
            _NEGATOR.match(token)
            or term in _NEGATIVE_VERB
            or (term == "rule" and index + 1 < len(tokens) and tokens[index + 1].lower() == "out")
        ):
            flips += 1
            scope.update([t for t in found[index + 1 :] if t in content][:SCOPE])
    direction = -1 if set(found) & _DOWN and not set(found) & _UP else 1
    return Clause(
        sentence, start, start + len(core), frozenset(content), frozenset(entities),
        frozenset(scope & content) if flips else None,
        direction * (-1 if flips % 2 else 1), _quantities(core),
    )  # fmt: skip


def clauses(sentence: Sentence) -> list[Clause]:
    found: list[Clause] = []
    text = sentence.text
    if "?" in text:
        return found  # a question asserts nothing
    begin = 0
    for cut in [*_CLAUSE_BREAK.finditer(text), None]:
        stop = cut.start() if cut else len(text)
        piece = text[begin:stop]
        lead = len(piece) - len(piece.lstrip(" ‘’'\"“”"))
        core = piece.strip(" ‘’'\"“”").rstrip(".!")
        if len(core.split()) >= 3:
            found.append(analyse(sentence, sentence.start + begin + lead, core))
        begin = cut.end() if cut else len(text)
    return found


def _quantities(text: str) -> frozenset[tuple[str, float]]:
    found = set()
    for match in _QUANTITY.finditer(text):
        number, scale, noun = match.groups()
        unit = "percent" if scale in ("percent", "%") else _term(noun)
        if unit:
            value = float(number.replace(",", "")) * _SCALE.get(scale or "", 1.0)
            found.add((unit, value))
    return frozenset(found)


def find_disagreements(
    sentences: list[Sentence], limit: int = MAX_DISAGREEMENTS
) -> list[Disagreement]:
    """The clearest disagreements between different documents, at most one per pair of
    documents, clearest first."""
    pool = [clause for sentence in sentences for clause in clauses(sentence)]
    found: list[Disagreement] = []
    for a, b in combinations(pool, 2):
        if a.sentence.doc_id == b.sentence.doc_id:
            continue
        shared = a.terms & b.terms
        if not (shared & a.entities & b.entities) or not (shared - a.entities - b.entities):
            continue
        overlap = len(shared) / max(1, min(len(a.terms), len(b.terms)))
        if overlap < MIN_OVERLAP:
            continue
        about = _conflict(a, b, shared)
        if about is None:
            continue
        first, second = sorted((a, b), key=lambda c: (c.stance < 0, c.sentence.doc_id))
        found.append(Disagreement(about, first, second, overlap))
    found.sort(key=lambda d: (-d.overlap, d.first.sentence.doc_id, d.first.start))
    chosen: list[Disagreement] = []
    pairs: set[frozenset[str]] = set()
    for item in found:
        pair = frozenset((item.first.sentence.doc_id, item.second.sentence.doc_id))
        if pair not in pairs:
            pairs.add(pair)
            chosen.append(item)
    return chosen[:limit]


def _conflict(a: Clause, b: Clause, shared: frozenset[str]) -> str | None:
    """What the two clauses disagree on, in words of theirs; None when they do not."""
    if a.stance != b.stance:
        # Each negation must bear on what the clauses share, not on something else.
        named = shared - a.entities - b.entities
        if any(c.scope is not None and not c.scope & named for c in (a, b)):
            return None
        denied = shared & frozenset().union(*(c.scope for c in (a, b) if c.scope is not None))
        return subject(denied or shared, a, b)
    values = dict(a.quantities)
    for unit, value in b.quantities:
        if unit in shared and unit in values and abs(values[unit] - value) > 0.01 * value:
            if unit == "percent":
                return "the percentage"
            return f"the number of {subject(frozenset([unit]), a, b)}"
    return None


def subject(shared: frozenset[str], *candidates: Clause) -> str:
    """The shortest run of words, in either clause, that names every shared term; else the
    shared words themselves."""
    best: list[str] | None = None
    for clause in candidates:
        tokens = [(m.group(0), _term(m.group(0))) for m in _TOKEN.finditer(clause.text)]
        for i, (_, first) in enumerate(tokens):
            if first not in shared:
                continue
            seen: set[str] = set()
            for j in range(i, min(len(tokens), i + 6)):
                seen.add(tokens[j][1])
                if shared <= seen:
                    if best is None or j + 1 - i < len(best):
                        best = [word for word, _ in tokens[i : j + 1]]
                    break
    if best is not None:
        return " ".join(best)
    named: dict[str, str] = {}
    for match in _TOKEN.finditer(candidates[0].text):
        term = _term(match.group(0))
        if term in shared:
            named.setdefault(term, match.group(0))
    return " and ".join(list(named.values())[:3])
