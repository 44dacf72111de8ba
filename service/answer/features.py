"""Features of a candidate answer sentence for one question: the signals a learned scorer
weighs. Dense similarity (MiniLM vectors stored at ingest) carries paraphrase; lexical coverage
carries rare names and exact phrases; the neighbours' scores let the answer sit in the sentence
next to the one that matches; answer type, speaker and the question's own numbers are slots
that a lookalike leaves empty."""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from service.answer.evidence import Evidence, Sentence, coverage, fits_kind
from service.answer.question import Entity, Question
from service.answer.speakers import attribution

FEATURES = (
    "dense",  # cosine of question and sentence
    "dense_gap",  # how far below the best candidate's cosine
    "dense_previous",  # the sentence before, same paragraph
    "dense_next",
    "lexical",  # weighted share of the question's terms in the sentence
    "lexical_context",  # the same, the headline and the sentences around counting half
    "lexical_previous",
    "lexical_next",
    "lexical_gap",
    "entities",  # share of the question's names in the sentence
    "entities_context",  # in the sentence, its neighbours or the headline
    "numbers",  # share of the question's own numbers and years present nearby
    "kind",  # the sentence holds the kind of thing asked (a number, a date, a name)
    "speaker",  # the asked speaker is the one speaking (0 when no speaker is asked)
    "speaker_asked",
    "fragment",  # a heading, a caption, a question from the page: not an answer
    "rank",  # the retrieval rank of its passage
)
# Figures standing alone: "1,299" and "5.8" are numbers, the 2 of a name like "X2" is not.
FIGURE = re.compile(r"(?<!\w)(?:\d[\d,.]*\d|\d)(?!\w)")
_ENDS_SENTENCE = re.compile(r"[.!…][\"”’')\]]*$")


@dataclass(frozen=True)
class Candidate:
    sentence: Sentence
    values: np.ndarray  # one value per FEATURES name

    def feature(self, name: str) -> float:
        return float(self.values[FEATURES.index(name)])


def term_weights(sentences: list[Sentence]) -> Callable[[str], float]:
    """Rarity among the retrieved sentences: the topic every passage shares weighs little, a
    word no passage has weighs most, whatever else the store holds."""
    total = len(sentences)
    frequency: dict[str, int] = {}
    for sentence in sentences:
        for term in sentence.terms:
            frequency[term] = frequency.get(term, 0) + 1

    def weight(term: str) -> float:
        df = frequency.get(term, 0)
        return math.log(1 + (total - df + 0.5) / (df + 0.5))

    return weight


def named(entity: Entity, found: frozenset[str]) -> bool:
    """A name is there when half its terms are: "Acme" names "Acme Systems", "Okafor" names
    "Governor Ada Okafor" (the title and first name are often dropped)."""
    return 2 * sum(t in found for t in entity.terms) >= len(entity.terms) or entity.head in found


def numbers_of(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in FIGURE.findall(text)}


def is_fragment(text: str) -> bool:
    """Not a sentence that states something: a heading, a caption, a question."""
    stripped = text.strip()
    return (
        len(stripped.split()) < 5
        or stripped.rstrip("\"”’')").endswith("?")
        or not _ENDS_SENTENCE.search(stripped)
    )


def candidates(
    question: Question,
    evidence: Evidence,
    question_vector: np.ndarray,
    vectors: dict[tuple[str, int], np.ndarray],
) -> list[Candidate]:
    """Every evidence sentence with its feature values; `vectors` maps (doc_id, start) to a
    sentence's unit vector (a sentence without one gets the cosine of its passage's best)."""
    sentences = evidence.sentences
    if not sentences:
        return []
    weight = term_weights(sentences)
    wanted = question.content_terms
    asked_numbers = numbers_of(question.text)

    def dense(sentence: Sentence | None) -> float:
        if sentence is None:
            return 0.0
        vector = vectors.get((sentence.doc_id, sentence.start))
        return float(vector @ question_vector) if vector is not None else 0.0

    def lexical(sentence: Sentence | None) -> float:
        return coverage(sentence, wanted, weight, context=0.0) if sentence and wanted else 0.0

    rows = []
    for sentence in sentences:
        previous = sentence.previous
        following = evidence.following(sentence, 1)
        after = following[0] if following else None
        nearby_text = " ".join(s.text for s in (previous, sentence, after) if s is not None)
        nearby_text += " " + (sentence.title or "")
        entities = question.entities
        in_sentence = sum(named(e, sentence.terms) for e in entities)
        around = sentence.terms | sentence.window_terms | sentence.context_terms
        in_context = sum(named(e, around) for e in entities)
        found_numbers = len(asked_numbers & numbers_of(nearby_text))
        speaker = attribution(sentence, question.speaker) if question.speaker else 0.0
        rows.append(
            [
                dense(sentence),
                0.0,
                dense(previous),
                dense(after),
                lexical(sentence),
                coverage(sentence, wanted, weight, context=0.5) if wanted else 0.0,
                lexical(previous),
                lexical(after),
                0.0,
                in_sentence / len(entities) if entities else 1.0,
                in_context / len(entities) if entities else 1.0,
                found_numbers / len(asked_numbers) if asked_numbers else 1.0,
                float(fits_kind(sentence, question)),
                speaker,
                float(question.speaker is not None),
                float(is_fragment(sentence.text)),
                1.0 / (1 + sentence.passage_rank),
            ]
        )
    matrix = np.asarray(rows, dtype=np.float64)
    matrix[:, FEATURES.index("dense_gap")] = matrix[:, 0] - matrix[:, 0].max()
    lexical_column = FEATURES.index("lexical")
    matrix[:, FEATURES.index("lexical_gap")] = (
        matrix[:, lexical_column] - matrix[:, lexical_column].max()
    )
    return [Candidate(s, matrix[i]) for i, s in enumerate(sentences)]
