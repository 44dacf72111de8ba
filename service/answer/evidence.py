"""Evidence: the sentences of the retrieved passages, at their offsets in the stored documents,
scored against a question — relevance, entities and answer type (who is speaking: `speakers.py`)."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from service.answer.question import Question
from service.ingest.sentences import sentence_spans
from service.retrieval.hybrid import HybridRetriever, Passage
from service.retrieval.terms import terms
from vectorstore.store import StoredChunk

REPORTING = (
    r"said|says|say|stated|states|noted|notes|told|tells|added|adds|wrote|writes|insisted|"
    r"warned|highlighted|revealed|characterized|characterised|emphasized|emphasised|stressed|"
    r"argued|mentioned|explained|described|called|declared|announced|confirmed|observed|"
    r"pointed out|asked|responded|replied|claimed|claiming|suggested|indicated|underscored|"
    r"welcomed|expressed|pushed back|acknowledged|assured|reiterated|hinted|vowed|"
    r"cautioned|predicted|urged|signaled|signalled|believes|believe|accepted|agreed|"
    r"made it clear|insists|according to|offered|spoke|speaking|responded|answered|pledged|"
    r"promised|called for|demanded|told reporters"
)
REPORTING_VERB = re.compile(rf"\b(?:{REPORTING})\b", re.IGNORECASE)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred|"
    r"thousand|million|billion|trillion|half|double|twice)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(?:\d{4}|january|february|march|april|may|june|july|august|september|october|november|"
    r"december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|"
    r"yesterday|week|weeks|month|months|year|years|days|day|end of|by early|next|last|within|"
    r"soon|later|earlier|ago)\b",
    re.IGNORECASE,
)
# Sentences that try to instruct the reader are never evidence: article text is data.
_INSTRUCTION = re.compile(
    r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier) (?:instructions|prompts?)|"
    r"disregard (?:all |any )?(?:the )?(?:previous|prior|above) |"
    r"\b(?:system|assistant|developer)\s*(?:prompt|message|notice|override)\s*:|"
    r"\bsystem\s+(?:notice|override|prompt)\b|"
    # chat-template role tags (ChatML, Gemma, Llama 2)
    r"<\|[a-z_]+\|>|<(?:start|end)_of_turn>|\[/?INST\]|<</?SYS>>|"
    r"(?:^|\n)\s*(?:system|assistant|developer)\s*:|"
    r"\bthe (?:assistant|ai|model|chatbot|bot)\s+(?:must|should|shall|will)\b|"
    r"you are now\b|new instructions?\s*:|</?(?:context|passage|system|instructions?)>|"
    r"\b(?:reply|respond|answer|output)\s+(?:only\s+)?with\b|!\[[^\]]*\]\(https?:",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sentence:
    doc_id: str
    title: str | None
    start: int
    end: int
    text: str
    terms: frozenset[str]
    passage_rank: int
    position: int  # index of the sentence within its document
    previous: "Sentence | None" = None  # the sentence before, in the same paragraph
    context_terms: frozenset[str] = frozenset()  # the headline's terms
    window_terms: frozenset[str] = frozenset()  # the paragraph's sentences just before and after
    # How the document is named where sources are (answers, topics); a document summary's
    # own sentences go without, as it never names its one source.
    label: str | None = None


@dataclass
class Evidence:
    """Candidate sentences (from the retrieved chunks) and their neighbours by position; with
    `with_vectors`, the question's vector and the sentences' by (doc_id, start)."""

    sentences: list[Sentence]
    neighbours: dict[tuple[str, int], Sentence]
    question_vector: np.ndarray | None = None
    vectors: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)

    def first_passages(self, count: int) -> "Evidence":
        """The evidence of the `count` best passages alone, as the extractive selector was
        calibrated on (an LLM reads more)."""
        return replace(self, sentences=[s for s in self.sentences if s.passage_rank < count])

    def following(self, sentence: Sentence, count: int) -> list[Sentence]:
        found = []
        for offset in range(1, count + 1):
            nxt = self.neighbours.get((sentence.doc_id, sentence.position + offset))
            if nxt is None or nxt.previous is None:
                break  # end of the paragraph
            found.append(nxt)
        return found


# Opening a sentence, these lean on an earlier one for whom or what they mean.
OPENING_PRONOUNS = "He|She|They|It|His|Her|Their|Its"


def is_instruction(text: str) -> bool:
    return bool(_INSTRUCTION.search(text))


@lru_cache(maxsize=50_000)
def sentence_terms(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def collect_sentences(retriever: HybridRetriever, passages: list[Passage]) -> Evidence:
    """Sentences of the passages, deduplicated across overlapping chunks, in passage order."""
    seen: set[tuple[str, int]] = set()
    found: list[Sentence] = []
    neighbours: dict[tuple[str, int], Sentence] = {}
    candidates: list[tuple[Sentence, StoredChunk]] = []
    for rank, passage in enumerate(passages):
        chunk = passage.chunk
        text = retriever.document_text(chunk.doc_id)
        if not text:
            continue
        document = retriever.document(chunk.doc_id)
        title = document.title if document else None
        label = retriever.label(chunk.doc_id)
        title_terms = sentence_terms(title) if title else frozenset()
        previous: Sentence | None = None
        for position, (start, end) in enumerate(cached_sentence_spans(text)):
            if end <= chunk.start - 600 or start >= chunk.end + 600:
                continue  # neighbours around the chunk give pronouns and lists their context
            sentence_text = text[start:end]
            if is_instruction(sentence_text):
                # Never quoted, nor linked as a neighbour: nothing cites it as context.
                previous = None
                continue
            same_paragraph = previous is not None and "\n" not in text[previous.end : start]
            sentence = Sentence(chunk.doc_id, title, start, end, sentence_text,
                                sentence_terms(sentence_text), rank, position,
                                previous if same_paragraph else None, title_terms,
                                label=label)  # fmt: skip
            previous = sentence
            neighbours.setdefault((chunk.doc_id, position), sentence)
            candidates.append((sentence, chunk))
    for sentence, chunk in candidates:
        key = (sentence.doc_id, sentence.start)
        inside = chunk.start <= sentence.start and sentence.end <= chunk.end
        if not inside or key in seen:
            continue
        seen.add(key)
        after = neighbours.get((sentence.doc_id, sentence.position + 1))
        window = (sentence.previous.terms if sentence.previous else frozenset()) | (
            after.terms if after is not None and after.previous is not None else frozenset()
        )
        found.append(replace(sentence, window_terms=window))
    return Evidence(found, neighbours)


@lru_cache(maxsize=4096)
def cached_sentence_spans(text: str) -> list[tuple[int, int]]:
    return sentence_spans(text)


def coverage(
    sentence: Sentence,
    wanted: tuple[str, ...],
    weight: Callable[[str], float],
    context: float = 0.5,
) -> float:
    """Weighted share of the wanted terms in the sentence; a term found only in the headline or
    the sentence before counts `context` of its weight."""
    if not wanted:
        return 0.0
    total = sum(weight(t) for t in wanted)
    if not total:
        return 0.0
    nearby = sentence.context_terms | sentence.window_terms
    found = sum(
        weight(t) * (1.0 if t in sentence.terms else context if t in nearby else 0.0)
        for t in wanted
    )
    return found / total


def fits_kind(sentence: Sentence, question: Question) -> bool:
    return text_fits_kind(sentence.text, question)


def text_fits_kind(text: str, question: Question) -> bool:
    """The text holds the kind of thing asked: a number, a date, a name not in the question."""
    if question.kind == "count":
        return bool(_NUMBER.search(text))
    if question.kind == "when":
        return bool(_DATE.search(text))
    if question.kind in ("who", "where"):
        # A name the question does not already give: a person, a place, an outlet.
        asked = {e.head for e in question.entities}
        names = re.findall(r"(?<=\s)[A-Z][\w’'-]+", text)
        return any(not set(terms(name)) <= asked for name in names)
    return True
