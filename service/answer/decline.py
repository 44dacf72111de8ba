"""Whether the best sentence answers at all: a relevance score cannot tell a lookalike from a
question the passages answer, so the decline weighs whether the slot the question asks for is
filled — its names, numbers and years, its speaker, its kind of answer, its rarest words —
around the best sentence."""

import re

import numpy as np

from service.answer.evidence import Evidence, coverage
from service.answer.features import Candidate, named, numbers_of, term_weights
from service.answer.question import Question
from service.retrieval.terms import terms

DECLINE_FEATURES = (
    "best",  # the sentence scorer's probability for the best sentence
    "margin",  # its lead over the second best
    "dense",
    "lexical_context",
    "entities_context",
    "numbers",
    "kind",
    "speaker",
    "speaker_asked",
    "absent",  # weighted share of the question's terms that no retrieved sentence has
    "absent_near",  # weighted share missing around the best sentence (it, its neighbours, headline)
    "dates_elsewhere",  # the question names a year or month; the best sentence's context
    # names another of the same kind and not it
    "entities_anywhere",  # share of the question's names in any retrieved sentence or headline
    "topic",  # for "what did X say about Y": Y's terms around the best sentence
    "time_missing",  # the question names a time (a year, a month, "last year") that the best
    # sentence's context does not
    "unit_missing",  # "how many homes…": the counted noun is not in the best sentence
)
MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)
# English time expressions and the "how many/much" phrase, not any article's words. "This year"
# is the article's own time, which it seldom states; another year is asked for by name.
_RELATIVE_TIME = re.compile(
    r"\b(?:(?:last|next|previous|past)\s+(?:year|month|week)|\w+\s+years?\s+ago)\b"
)
_COUNTED = re.compile(
    r"\bhow\s+(?:many|much)\s+((?:[\w'-]+\s+){0,3}?)"
    r"(?=(?:did|does|do|has|have|had|was|were|is|are|will|would|could|can|of|in|on|at|for|per)\b|\?|$)",
    re.IGNORECASE,
)


def decline_features(
    question: Question, evidence: Evidence, best: Candidate, best_p: float, second_p: float
) -> np.ndarray:
    sentences = evidence.sentences
    weight = term_weights(sentences)
    wanted = question.content_terms
    total = sum(weight(t) for t in wanted) or 1.0
    everywhere = frozenset().union(*(s.terms | s.context_terms for s in sentences))
    sentence = best.sentence
    around = sentence.terms | sentence.window_terms | sentence.context_terms
    absent = sum(weight(t) for t in wanted if t not in everywhere) / total
    absent_near = sum(weight(t) for t in wanted if t not in around) / total
    near = [s for s in (sentence.previous, sentence, *evidence.following(sentence, 1)) if s]
    nearby = " ".join(s.text for s in near)
    elsewhere = 0.0
    for kind in (_years, _months):
        asked, here = kind(question.text), kind(nearby)
        if asked and here and not asked & here:
            elsewhere = 1.0
    asked_times = times_named(question.text)
    time_missing = float(
        bool(asked_times) and not asked_times & times_named(f"{nearby} {sentence.title}")
    )
    counted = counted_term(question.text)
    unit_missing = float(counted is not None and counted not in sentence.terms)
    names = question.entities
    anywhere = sum(named(e, everywhere) for e in names) / len(names) if names else 1.0
    topic = (
        coverage(sentence, question.topic_terms, weight, context=0.8)
        if question.topic_terms
        else best.feature("lexical_context")
    )
    return np.array(
        [
            best_p,
            best_p - second_p,
            best.feature("dense"),
            best.feature("lexical_context"),
            best.feature("entities_context"),
            best.feature("numbers"),
            best.feature("kind"),
            best.feature("speaker"),
            best.feature("speaker_asked"),
            absent,
            absent_near,
            elsewhere,
            anywhere,
            topic,
            time_missing,
            unit_missing,
        ]
    )


def _years(text: str) -> set[str]:
    return {n for n in numbers_of(text) if len(n) == 4 and n[:2] in ("19", "20")}


def _months(text: str) -> set[str]:
    """Month names as names, capitalised: "may" is also a verb ("files may have been taken")."""
    return {word.lower() for word in re.findall(r"\b[A-Z][a-z]+\b", text) if word.lower() in MONTHS}


def times_named(text: str) -> set[str]:
    """The years, months and relative times ("last year", "two years ago") a text names."""
    relative = {" ".join(m.group(0).lower().split()) for m in _RELATIVE_TIME.finditer(text)}
    return _years(text) | _months(text) | relative


def counted_term(question: str) -> str | None:
    """The term of what a "how many/how much" question counts: "homes" in "how many homes has
    the fire destroyed", "units" in "how many units of the headset"; None for "how much did it
    cost"."""
    found = _COUNTED.search(question)
    counted = terms(found.group(1)) if found else []
    return counted[-1] if counted else None
