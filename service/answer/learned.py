"""The learned extractive selector (NEWSQA_ANSWER_SCORER=learned): a logistic scorer over dense,
lexical, answer-type and speaker features ranks the retrieved sentences; the best is quoted with
the sentence beside it when that one names the speaker or the subject; a second model, over
whether the slot the question asks for is filled, declines. The default selector: it holds the
samples' gates as the lexical one does and is more accurate on nearly every set of new
articles (README, Evaluation)."""

from dataclasses import dataclass

import numpy as np

from service.answer.decline import decline_features
from service.answer.evidence import Evidence, Sentence
from service.answer.extractive import Selection, announces_more, in_reading_order
from service.answer.features import Candidate, candidates
from service.answer.question import Question
from service.answer.scorer import ScorerModel, load_scorer

MAX_SENTENCES = 3
MAX_WORDS = 90
OTHER_DOCUMENT_SHARE = 0.9


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    probability: float

    @property
    def sentence(self) -> Sentence:
        return self.candidate.sentence


class LearnedSelector:
    def __init__(self, model: ScorerModel | None = None) -> None:
        self._model = model

    @property
    def model(self) -> ScorerModel:
        if self._model is None:
            self._model = load_scorer()
        return self._model

    def rank(self, question: Question, evidence: Evidence) -> list[Ranked]:
        """Every evidence sentence with the scorer's probability that it answers, best first."""
        if evidence.question_vector is None:
            raise ValueError("evidence without vectors: attach them with with_vectors()")
        found = candidates(question, evidence, evidence.question_vector, evidence.vectors)
        scores = self.model.score(found)
        order = np.argsort(-scores, kind="stable")
        return [Ranked(found[i], float(scores[i])) for i in order]

    def select(self, question: Question, evidence: Evidence) -> Selection:
        return self.choose(question, evidence, self.rank(question, evidence))

    def choose(self, question: Question, evidence: Evidence, ranked: list[Ranked]) -> Selection:
        if not ranked:
            return Selection([], "nothing retrieved")
        best = ranked[0]
        second = ranked[1].probability if len(ranked) > 1 else 0.0
        row = decline_features(question, evidence, best.candidate, best.probability, second)
        answers = self.model.answers(row)
        if answers < self.model.answer_above:
            return Selection([], f"the best sentence does not answer it ({answers:.2f})")
        floor = self.model.companion_share * best.probability
        relevant = tuple(r.sentence for r in ranked if r.probability >= floor)
        chosen = [best.sentence, *context_of(best, question, evidence)]
        words = sum(len(s.text.split()) for s in chosen)
        for other in ranked[1:]:
            if len(chosen) >= MAX_SENTENCES or other.probability < floor:
                break
            size = len(other.sentence.text.split())
            # Another article is cited beside the best only when nearly as good and it adds a
            # term of the question that the sentences chosen so far lack.
            if other.sentence.doc_id != best.sentence.doc_id and (
                other.probability < OTHER_DOCUMENT_SHARE * best.probability
                or not adds_terms(other.sentence, chosen, question)
            ):
                continue
            if other.sentence in chosen or words + size > MAX_WORDS:
                continue
            chosen.append(other.sentence)
            words += size
        ordered = in_reading_order(chosen)
        return Selection(
            ordered,
            f"answered from {len(ordered)} sentence(s), best {best.probability:.2f}",
            relevant=relevant,
        )


def context_of(best: Ranked, question: Question, evidence: Evidence) -> list[Sentence]:
    """The neighbour a reader needs beside the answer: the sentence before when it names the
    speaker or the subject the answer refers back to (or matches the question better), the
    sentence after when the answer announces what follows."""
    sentence, values = best.sentence, best.candidate
    added: list[Sentence] = []
    previous = sentence.previous
    if previous is not None and len(previous.text.split()) + len(sentence.text.split()) <= 70:
        speaker_before = question.speaker is not None and values.feature("speaker") == 0.8
        names_around = values.feature("entities_context") > values.feature("entities")
        matches_before = values.feature("lexical_previous") > values.feature("lexical")
        if speaker_before or names_around or matches_before:
            added.append(previous)
    if announces_more(sentence):
        added += evidence.following(sentence, 2)
    return added


def adds_terms(sentence: Sentence, chosen: list[Sentence], question: Question) -> bool:
    covered = frozenset().union(*(s.terms for s in chosen))
    return any(t in sentence.terms and t not in covered for t in question.content_terms)
