"""Choosing an article's summary for the facts it carries: each pick is the sentence, or the
verbatim main clause of a long one, that adds the most facts not yet covered per word, the facts
counted as the distinct names and figures it states (a quotation counts as one more). The
objective is a coverage one, so a second sentence repeating the same names and figures adds
nothing. A clause opening with a pronoun is taken only once the sentence before it, where its
antecedent is named, is in."""

import re
from dataclasses import dataclass, replace

from service.answer.evidence import OPENING_PRONOUNS, Sentence
from service.answer.features import is_fragment, numbers_of
from service.answer.question import find_entities
from service.answer.service import CitedSpan
from service.summary.compose import Point, cut
from service.summary.models import count_words

MIN_CLAUSE_WORDS = 6
# Where a sentence's main clause may end: before a relative, subordinate or trailing clause (",
# which…", ", after…", ", according to…"), a semicolon or a dash. The words are English grammar,
# not any article's.
_CLAUSE_BREAK = re.compile(
    r",\s(?=(?:which|who|whom|whose|while|whereas|after|before|as|but|and|although|though|"
    r"because|since|until|when|where|according|citing|with|without|making|despite|"
    r"amid|adding|saying|leaving|bringing|taking|compared|up|down)\b)|;\s|\s[—–]\s"
)
_LEADING = " ,;—–"
_STATES = re.compile(r"\b[a-z]{4,}\b")  # a clause that states something has a lowercase word
_DATELINE = re.compile(r"^[^a-z]*$")
_QUOTATION = re.compile(r"[\"“”]")
# Whose antecedent stands in an earlier sentence: an opening pronoun, or a pronoun speaker
# after a quotation ("…," he said).
_NEEDS_ANTECEDENT = re.compile(
    rf"^(?:{OPENING_PRONOUNS}|This|These|Those)\b|[”\"’'],?\s+(?:he|she|they)\b"
)


@dataclass(frozen=True)
class Unit:
    """A whole sentence or a verbatim prefix of it, with the facts it states."""

    point: Point
    position: int  # the sentence's index in the document
    facts: frozenset[tuple[str, str]]
    quotes: bool
    words: int


def facts_of(text: str, names: frozenset[str]) -> frozenset[tuple[str, str]]:
    """The distinct figures and name terms of a text. A capitalised word opening it counts as a
    name only when `names` (what the document capitalises mid-sentence) has it: "However" and
    "Behind" are not names."""
    found = {("number", n) for n in numbers_of(text)}
    for index, entity in enumerate(find_entities(text)):
        opening = index == 0 and text.startswith(entity.surface) and " " not in entity.surface
        if not opening or set(entity.terms) <= names:
            found |= {("name", term) for term in entity.terms}
    return frozenset(found)


def says_something(text: str, names: frozenset[str], besides: frozenset[str]) -> bool:
    """The text states a figure or a name other than the terms `besides` (a topic's own), and
    does not lean on an earlier sentence for who or what it is about."""
    facts = facts_of(text, names) - {("name", term) for term in besides}
    return bool(facts) and not _NEEDS_ANTECEDENT.search(text)


def document_names(sentences: list[Sentence]) -> frozenset[str]:
    """Terms of the names the sentences capitalise anywhere but at their start."""
    found: set[str] = set()
    for sentence in sentences:
        for index, entity in enumerate(find_entities(sentence.text)):
            if index or not sentence.text.startswith(entity.surface) or " " in entity.surface:
                found.update(entity.terms)
    return frozenset(found)


def units_of(sentence: Sentence, position: int, names: frozenset[str]) -> list[Unit]:
    """The sentence and each verbatim main clause of it long enough to stand alone, a cut
    marked "…"; a dateline opening the sentence ("CITY, May 7 (Wire) — ") may be cut off."""
    text = sentence.text.rstrip()
    breaks = [found.start() for found in _CLAUSE_BREAK.finditer(text)]
    starts = [0]
    if breaks and _DATELINE.match(text[: breaks[0]]):
        starts.append(breaks[0] + len(text[breaks[0] :]) - len(text[breaks[0] :].lstrip(_LEADING)))
    units = []
    for start in starts:
        for end in [b for b in breaks if b > start] + [len(text)]:
            piece = text[start:end].rstrip()
            whole = start == 0 and end == len(text)
            if not whole and (count_words(piece) < MIN_CLAUSE_WORDS or not _STATES.search(piece)):
                continue
            shown = ("…" if start else "") + piece + ("" if end == len(text) else "…")
            span = replace(CitedSpan.of(sentence), start=sentence.start + start,
                           end=sentence.start + start + len(piece), text=piece)  # fmt: skip
            point = Point(shown, span)
            quotes = bool(_QUOTATION.search(piece))
            units.append(Unit(point, position, facts_of(piece, names), quotes, max(1, point.words)))
    return units


def choose_for_facts(sentences: list[Sentence], max_words: int) -> list[Point]:
    """Greedy coverage within `max_words`, in document order: first what adds facts (a fact
    told early weighs a little more), then, if words are left, sentences from the lede on, so
    the budget is used."""
    standing = [s for s in sentences if not is_fragment(s.text)] or sentences
    names = document_names(standing)
    units = [u for position, s in enumerate(standing) for u in units_of(s, position, names)]
    covered: set[tuple[str, str]] = set()
    chosen: dict[int, Unit] = {}
    used = 0

    def fits(unit: Unit) -> bool:
        return (
            unit.position not in chosen
            and used + unit.words <= max_words
            and (not _NEEDS_ANTECEDENT.search(unit.point.span.text) or unit.position - 1 in chosen)
        )

    def gain(unit: Unit) -> float:
        new = float(len(unit.facts - covered))
        new += 1.0 if unit.quotes and new else 0.0  # a quotation, with who is quoted
        return new * (1.0 + 1.0 / (1 + unit.position)) / unit.words

    while True:
        adding = [u for u in units if fits(u) and gain(u) > 0]
        if not adding:
            break
        best = max(adding, key=lambda u: (gain(u), -u.position))
        chosen[best.position] = best
        covered |= best.facts
        used += best.words
    # What is left is filled from the lede on, each sentence whole or by its longest main
    # clause that fits.
    for unit in sorted(units, key=lambda u: (u.position, -u.words)):
        if fits(unit):
            chosen[unit.position] = unit
            used += unit.words
    points = {position: unit.point for position, unit in chosen.items()}
    if used < max_words / 2:  # most of the budget unused: the next sentence, cut at a word
        for position, sentence in enumerate(standing):
            if position not in points:
                piece = cut(sentence, max_words - used)
                if piece is not None:
                    points[position] = piece
                break
    return [points[position] for position in sorted(points)]
