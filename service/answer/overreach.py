"""Over-reaches that keep every number and name of the source and still mislead: the claim puts
a figure to another named thing than the sentence does, states as done what the sentence only
proposes, or moves a year's relation ("in 2022" for "since 2022"). An over-eager model makes
them by restating the question around a true figure about something else."""

import re

from service.answer.decline import MONTHS
from service.answer.features import FIGURE, named
from service.answer.figures import YEAR, figure_at, with_numerals
from service.answer.question import Entity, find_entities
from service.retrieval.terms import terms

_DAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_SENTENCE_BREAK = re.compile(r"(?<=[.!?\"”’])\s+")

# Words that make a figure wanted, offered or possible rather than done: "has demanded 5
# percent", "could face a fine of up to 2 million", "a plan to spend 9 million".
PROPOSED = (
    r"could|may|might|propos\w*|plan(?:s|ned)?|demand\w*|sought|seek\w*|"
    r"call(?:s|ed)? for|ask(?:s|ed)? for|offer\w*|put forward|consider\w*|threaten\w*|"
    r"want\w*|hop(?:e|es|ed|ing)|aim\w*|expect\w*|up to|fac(?:e|es|ed|ing)|suggest\w*|"
    r"urg(?:e|es|ed|ing)|recommend\w*|request\w*|bid|intend\w*|draft\w*"
)
_PROPOSED = re.compile(rf"\b(?:{PROPOSED})\b", re.IGNORECASE)
# A claim that keeps the figure pending says so with one of these, or with a proposing word.
# ("Would" alone is reported speech's future: "confirmed it would cut 300 jobs" is done.)
_PENDING = re.compile(
    rf"\b(?:{PROPOSED}|would|will|due|set to|as many as|possibl\w*|likel\w*|potential\w*|"
    r"unless|if)\b",
    re.IGNORECASE,
)
PROPOSED_REACH = 4  # words before a figure, in its clause, where a proposing word governs it
# A year after these is a bound, not the time of the event: "since 2022" is not "in 2022".
_BOUNDS = {"since", "until", "till", "before", "after", "than"}


def written_as_name(word: str, document: str) -> bool:
    """The document writes `word` capitalised mid-sentence: a name, not an opening word."""
    return re.search(rf"[a-z,;] {re.escape(word)}\b", document) is not None


def names_in(text: str, document: str) -> list[Entity]:
    """The names of `text`: not figures or dates, and not a sentence's capitalised first word
    unless the document writes it as a name elsewhere."""
    found = []
    for sentence in _SENTENCE_BREAK.split(text):
        opening = sentence.lstrip("\"“‘'")
        for entity in find_entities(sentence):
            if all(_is_time_or_figure(w) for w in entity.surface.split()):
                continue
            first_word = opening.startswith(entity.surface) and " " not in entity.surface
            if first_word and not written_as_name(entity.surface, document):
                continue
            found.append(entity)
    return found


def _is_time_or_figure(word: str) -> bool:
    return word.lower() in MONTHS or word.lower() in _DAYS or bool(FIGURE.fullmatch(word))


def figure_of_another(
    claim: str, cited: str, attributed: str, question: str, document: str
) -> str | None:
    """A name the claim takes from the question, which the cited sentences lack, while the
    sentence of the claim's figure names another the claim leaves out: "fishermen in Orrin are
    seeking 3.4 million" cited to "In Velmark, … fishermen are seeking 3.4 million"."""
    source = with_numerals(cited)
    known = frozenset(terms(f"{source} {with_numerals(attributed)}"))
    asked = frozenset(terms(question))
    mine = frozenset(terms(claim))
    put = [e for e in names_in(claim, document) if named(e, asked) and not named(e, known)]
    if not put:
        return None
    for figure in {m.group(0).rstrip(".,") for m in FIGURE.finditer(claim)}:
        if YEAR.fullmatch(figure):
            continue  # a year dates the figure; it is not what the figure is about
        for at in figure_at(figure, source):
            start = max(source.rfind(". ", 0, at.start()), 0)
            end = source.find(". ", at.end())
            for other in names_in(source[start : end if end >= 0 else None], document):
                if not named(other, mine) and not named(other, asked):
                    return f"{figure} is about {other.surface}, not {put[0].surface}"
    return None


def proposed_as_done(claim: str, cited: str) -> str | None:
    """A figure the sentence only proposes, wants or allows ("has offered 6 percent", "could face
    a fine of up to 2 million"), which the claim states as done: "agreed", "was fined"."""
    if _PENDING.search(claim):
        return None
    source = with_numerals(cited)
    for found in FIGURE.finditer(claim):
        figure = found.group(0).rstrip(".,")
        if YEAR.fullmatch(figure):
            continue
        for at in figure_at(figure, source):
            clause = re.split(r"[;:]", source[: at.start()])[-1]
            governing = " ".join(clause.split()[-PROPOSED_REACH:])
            word = _PROPOSED.search(governing)
            if word:
                return f"the source only says {word.group(0)} {figure}"
    return None


def year_moved(claim: str, cited: str) -> str | None:
    """A claim's "in 2022" where every mention of that year in the source bounds a span
    ("since 2022", "before 2022"): the event is not dated so."""
    for found in re.finditer(rf"\b(?:in|during)\s+({YEAR.pattern})\b", claim):
        year = found.group(1)
        before = [m.group(1).lower() for m in re.finditer(rf"(\w+)\s+{year}\b", cited)]
        if before and all(word in _BOUNDS for word in before):
            return f"the source gives {year} as a bound ({before[0]} {year})"
    return None
