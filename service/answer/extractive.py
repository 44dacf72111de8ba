"""The extractive generator: no LLM, no network. It picks the sentences that answer the question,
quotes them verbatim, or declines when the passages do not answer it."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from service.answer.evidence import Evidence, Sentence, coverage, fits_kind
from service.answer.features import term_weights
from service.answer.question import Question
from service.answer.speakers import attribution, mentions

MAX_SENTENCES = 3
MAX_WORDS = 110


@dataclass(frozen=True)
class Scored:
    sentence: Sentence
    score: float
    relevance: float
    speaks: float


@dataclass(frozen=True)
class Selection:
    sentences: list[Sentence]
    reason: str  # why it answered or declined, for logs and eval reports
    relevant: tuple[Sentence, ...] = ()  # every sentence that passed the relevance bar

    @property
    def abstained(self) -> bool:
        return not self.sentences


@dataclass(frozen=True)
class Thresholds:
    min_relevance: float = 0.5
    min_topic: float = 0.34
    min_speaker: float = 0.8
    companion_ratio: float = 0.7
    other_doc_ratio: float = 0.9


class ExtractiveSelector:
    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()

    def weights(self, sentences: list[Sentence]) -> Callable[[str], float]:
        return term_weights(sentences)

    def score(
        self, sentence: Sentence, question: Question, weight: Callable[[str], float] | None = None
    ) -> Scored:
        weight = weight or self.weights([sentence])
        rank_bonus = 0.05 / (1 + sentence.passage_rank)
        if question.speaker is not None:
            speaks = attribution(sentence, question.speaker)
            wanted = question.topic_terms or tuple(
                t for t in question.content_terms if t not in question.speaker.terms
            )
            # A quote's topic is often named in the sentence before it: context counts 0.8.
            topic = coverage(sentence, wanted, weight, context=0.8) if wanted else 1.0
            return Scored(sentence, 0.5 * speaks + 0.5 * topic + rank_bonus, topic, speaks)
        relevance = coverage(sentence, question.content_terms, weight)
        entity_share = (
            sum(mentions(sentence, e) for e in question.entities) / len(question.entities)
            if question.entities
            else relevance
        )
        kind_bonus = 0.1 if fits_kind(sentence, question) else -0.2
        type_bonus = 0.05 if set(question.answer_type_terms) & sentence.terms else 0.0
        score = 0.65 * relevance + 0.25 * entity_share + kind_bonus + type_bonus + rank_bonus
        return Scored(sentence, score, relevance, 0.0)

    def select(self, question: Question, evidence: Evidence) -> Selection:
        sentences = evidence.sentences
        if not sentences:
            return Selection([], "nothing retrieved")
        missing = [
            e.surface for e in question.entities if not any(mentions(s, e) for s in sentences)
        ]
        if missing:
            return Selection([], f"not in the passages: {', '.join(missing)}")
        weight = self.weights(sentences)
        scored = sorted(
            (self.score(s, question, weight) for s in sentences), key=lambda x: -x.score
        )
        best = scored[0]
        limits = self.thresholds
        if question.speaker is not None:
            eligible = [
                s
                for s in scored
                if s.speaks >= limits.min_speaker and s.relevance >= limits.min_topic
            ]
            if not eligible:
                return Selection([], f"no sentence reports {question.speaker.surface} on the topic")
        else:
            eligible = [
                s
                for s in scored
                if s.relevance >= limits.min_relevance and fits_kind(s.sentence, question)
            ]
            if not eligible:
                return Selection([], f"best sentence covers {best.relevance:.2f} of the question")
        chosen = [eligible[0].sentence]
        words = len(chosen[0].text.split())
        if announces_more(chosen[0]):
            # "He emphasized two key elements." — the elements follow in the next sentences.
            for nxt in evidence.following(chosen[0], 2):
                size = len(nxt.text.split())
                if words + size <= MAX_WORDS:
                    chosen.append(nxt)
                    words += size
        for candidate in eligible[1:]:
            if len(chosen) >= MAX_SENTENCES:
                break
            # Another article must be nearly as good as the best sentence to be cited beside it.
            same_doc = candidate.sentence.doc_id == chosen[0].doc_id
            ratio = limits.companion_ratio if same_doc else limits.other_doc_ratio
            if candidate.score < ratio * eligible[0].score:
                continue
            size = len(candidate.sentence.text.split())
            if words + size > MAX_WORDS or candidate.sentence in chosen:
                continue
            chosen.append(candidate.sentence)
            words += size
        ordered = in_reading_order(chosen)
        return Selection(
            ordered,
            f"answered from {len(ordered)} sentence(s), best {eligible[0].score:.2f}",
            relevant=tuple(s.sentence for s in eligible),
        )


_ENUMERATION = re.compile(
    r"\b(?:two|three|four|five|several|following|these)\s+(?:\w+\s+){0,2}"
    r"(?:elements|points|steps|conditions|demands|reasons|parts|priorities|things|areas|ways)\b|:$",
    re.IGNORECASE,
)


def announces_more(sentence: Sentence) -> bool:
    return bool(_ENUMERATION.search(sentence.text))


def in_reading_order(sentences: list[Sentence]) -> list[Sentence]:
    """Group by document in order of first appearance, each document's sentences in text order."""
    first_seen: dict[str, int] = {}
    for index, sentence in enumerate(sentences):
        first_seen.setdefault(sentence.doc_id, index)
    return sorted(sentences, key=lambda s: (first_seen[s.doc_id], s.position))
