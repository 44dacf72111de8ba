"""Extractive summaries. An article's: the sentences and main clauses that add the most facts
per word (service/summary/coverage.py). A topic's: sentences chosen by how much of the topic
they cover and by centrality (TF-IDF cosine to the centroid of the candidates); a sentence too
close to one already chosen is redundant and skipped; each candidate that fits the word budget
is taken, best first (maximal marginal relevance), so short points fill the space long ones
leave."""

import math
from collections import Counter
from collections.abc import Callable

from service.answer.evidence import (
    Evidence,
    Sentence,
    cached_sentence_spans,
    is_instruction,
    sentence_terms,
)
from service.retrieval.hybrid import Passage
from service.retrieval.terms import terms
from service.summary.compose import (
    Drafted,
    Point,
    cut,
    label_words,
    statement_words,
    write_document,
    write_topic,
)
from service.summary.coverage import choose_for_facts, document_names, says_something
from service.summary.disagreement import Disagreement, find_disagreements

MIN_SENTENCE_WORDS = 5
REDUNDANT = 0.5  # cosine at which a sentence repeats one already chosen
MMR_PENALTY = 0.5
NEW_SOURCE_BONUS = 0.3  # a topic summary lets several sources speak
MIN_TOPIC_RELEVANCE = 0.3
DISAGREEMENT_SHARE = 0.6  # at most this share of the words goes to disagreements
MAX_CANDIDATES = 400  # sentences considered for selection, best first
NEARBY_SENTENCES = 4  # a disagreement's sides are about the topic if their neighbourhood is

Vector = dict[str, float]


def document_sentences(doc_id: str, title: str | None, text: str) -> list[Sentence]:
    """The document's sentences fit to quote: not instruction-like, not fragments."""
    title_terms = sentence_terms(title) if title else frozenset()
    found = []
    for position, (start, end) in enumerate(cached_sentence_spans(text)):
        piece = text[start:end]
        if not is_instruction(piece):
            found.append(Sentence(doc_id, title, start, end, piece, sentence_terms(piece), 0,
                                  position, context_terms=title_terms))  # fmt: skip
    substantial = [s for s in found if len(s.text.split()) >= MIN_SENTENCE_WORDS]
    return substantial or found


def tfidf(sentences: list[Sentence]) -> list[Vector]:
    frequency = Counter(term for sentence in sentences for term in sentence.terms)
    total = len(sentences)
    vectors = []
    for sentence in sentences:
        counts = Counter(terms(sentence.text))
        vector = {
            t: (1 + math.log(c)) * math.log(1 + total / frequency[t]) for t, c in counts.items()
        }
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vectors.append({t: v / norm for t, v in vector.items()})
    return vectors


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def centrality(vectors: list[Vector]) -> list[float]:
    centroid: Vector = {}
    for vector in vectors:
        for term, value in vector.items():
            centroid[term] = centroid.get(term, 0.0) + value
    norm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
    unit = {t: v / norm for t, v in centroid.items()}
    return [cosine(vector, unit) for vector in vectors]


def select(
    sentences: list[Sentence],
    scores: list[float],
    budget: int,
    extra_cost: Callable[[Sentence, list[Point]], int] = lambda s, chosen: 0,
    new_source_bonus: float = 0.0,
) -> list[Point]:
    """Greedy maximal marginal relevance within `budget` words, over the best MAX_CANDIDATES
    sentences. The best sentence always gets in: cut to a verbatim prefix when it alone is
    longer than the budget."""
    best_first = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))[:MAX_CANDIDATES]
    vectors = tfidf(sentences)
    overlap = dict.fromkeys(best_first, 0.0)  # highest cosine to a sentence already chosen
    chosen: list[Point] = []
    sources: set[str] = set()
    used = 0
    while overlap and used < budget:

        def value(i: int) -> float:
            fresh = new_source_bonus if sentences[i].doc_id not in sources else 0.0
            return scores[i] - MMR_PENALTY * overlap[i] + fresh

        best = max(overlap, key=lambda i: (value(i), -i))
        del overlap[best]
        sentence = sentences[best]
        cost = extra_cost(sentence, chosen)
        point: Point | None = Point.of(sentence)
        if used + cost + Point.of(sentence).words > budget:
            point = None if chosen else cut(sentence, budget - cost)
        if point is None:
            continue  # does not fit; a shorter one may
        chosen.append(point)
        sources.add(sentence.doc_id)
        used += cost + point.words
        for i in list(overlap):
            overlap[i] = max(overlap[i], cosine(vectors[i], vectors[best]))
            if overlap[i] >= REDUNDANT:
                del overlap[i]  # says again what a chosen sentence says
    return chosen


def _new_label_cost(sentence: Sentence, chosen: list[Point]) -> int:
    if any(point.span.doc_id == sentence.doc_id for point in chosen):
        return 0
    return label_words(Point.of(sentence).span)


class ExtractiveSummarizer:
    name = "extractive"

    def document(
        self, doc_id: str, title: str | None, text: str, max_words: int, mode: str = name
    ) -> Drafted:
        sentences = document_sentences(doc_id, title, text)
        chosen = choose_for_facts(sentences, max_words)
        return write_document(chosen, mode, f"{len(chosen)} of {len(sentences)} sentences")

    def relevant(self, topic: str, evidence: Evidence) -> tuple[list[Sentence], list[float]]:
        """The sentences that cover enough of the topic, and how much of it each covers."""
        lens = TopicLens(topic, evidence)
        relevance = [lens.coverage(s.terms | s.context_terms | s.window_terms, s.terms)
                     for s in lens.pool]  # fmt: skip
        kept = [i for i, r in enumerate(relevance) if r >= MIN_TOPIC_RELEVANCE]
        return [lens.pool[i] for i in kept], [relevance[i] for i in kept]

    def disagreements(self, topic: str, evidence: Evidence, max_words: int) -> list[Disagreement]:
        """Disagreements about the topic — both sides stand among sentences that cover it —
        that fit in their share of the words, clearest first."""
        lens = TopicLens(topic, evidence)
        kept: list[Disagreement] = []
        used = 0
        for item in find_disagreements(evidence.sentences):
            sides = (item.first.sentence, item.second.sentence)
            if not all(lens.nearby(side) >= MIN_TOPIC_RELEVANCE for side in sides):
                continue
            size = statement_words(item)
            if used + size <= DISAGREEMENT_SHARE * max_words:
                kept.append(item)
                used += size
        return kept

    def topic(
        self,
        topic: str,
        evidence: Evidence,
        passages: list[Passage],
        max_words: int,
        mode: str = name,
    ) -> Drafted:
        """`passages` are those the evidence came from (only the LLM summarizer reads them)."""
        sentences, relevance = self.relevant(topic, evidence)
        if not sentences:
            return write_topic([], [], mode, "no sentence covers the topic")
        disagreements = self.disagreements(topic, evidence, max_words)
        budget = max_words - sum(statement_words(item) for item in disagreements)
        # What a disagreement quotes is not repeated in its source's own line.
        quoted = {(c.sentence.doc_id, c.sentence.start) for d in disagreements
                  for c in (d.first, d.second)}  # fmt: skip
        keep = [i for i, s in enumerate(sentences) if (s.doc_id, s.start) not in quoted]
        # A line says something beyond the topic itself, and needs no sentence it does not show.
        names, topic_terms = document_names(evidence.sentences), frozenset(terms(topic))
        telling = [i for i in keep if says_something(sentences[i].text, names, topic_terms)]
        keep = telling or keep
        sentences, relevance = [sentences[i] for i in keep], [relevance[i] for i in keep]
        central = centrality(tfidf(sentences))
        scores = [
            r + 0.3 * c + 0.05 / (1 + s.passage_rank)
            for s, r, c in zip(sentences, relevance, central, strict=True)
        ]
        chosen = select(sentences, scores, budget, _new_label_cost, NEW_SOURCE_BONUS)
        return write_topic(
            in_reading_order(chosen), disagreements, mode,
            f"{len(chosen)} sentences from {len({p.span.doc_id for p in chosen})} sources",
        )  # fmt: skip


def in_reading_order(points: list[Point]) -> list[Point]:
    """Sources in the order they were chosen (best first), each source's points in text order."""
    rank: dict[str, int] = {}
    for point in points:
        rank.setdefault(point.span.doc_id, len(rank))
    return sorted(points, key=lambda p: (rank[p.span.doc_id], p.span.start))


class TopicLens:
    """A topic's terms, weighted by how rare they are among the retrieved sentences (so the
    word every passage shares weighs little), and how much of them a text covers."""

    def __init__(self, topic: str, evidence: Evidence) -> None:
        self.evidence = evidence
        self.wanted = tuple(dict.fromkeys(terms(topic)))
        self.pool = [s for s in evidence.sentences if len(s.text.split()) >= MIN_SENTENCE_WORDS]
        self.frequency = Counter(term for sentence in self.pool for term in sentence.terms)

    def weight(self, term: str) -> float:
        df = self.frequency.get(term, 0)
        return math.log(1 + (len(self.pool) - df + 0.5) / (df + 0.5))

    def coverage(self, nearby: frozenset[str], inside: frozenset[str]) -> float:
        """Weighted share of the topic's terms; a term only `nearby` (the headline, the
        sentences around) counts half."""
        total = sum(self.weight(t) for t in self.wanted)
        if not total:
            return 0.0
        found = sum(
            self.weight(t) * (1.0 if t in inside else 0.5 if t in nearby else 0.0)
            for t in self.wanted
        )
        return found / total

    def nearby(self, sentence: Sentence, reach: int = NEARBY_SENTENCES) -> float:
        """Coverage of the sentence's neighbourhood, as if all of it were the sentence."""
        around: set[str] = set(sentence.terms)
        for offset in range(-reach, reach + 1):
            other = self.evidence.neighbours.get((sentence.doc_id, sentence.position + offset))
            if other is not None:
                around |= other.terms
        return self.coverage(frozenset(around), frozenset(around))
