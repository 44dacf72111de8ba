"""Small named scorers: each looks at one gold item and one answer and returns a verdict."""

import re
import unicodedata

from eval.gold import GoldItem
from service.answer.models import Answer


def normalise(text: str) -> str:
    """Case-folded, quotes and dashes unified, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[‘’ʼ`´]", "'", text)
    text = re.sub(r"[“”„]", '"', text)
    text = re.sub(r"[‐‑‒–—]", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def holds_fact(answer: str, alternatives: list[str]) -> bool:
    normalised = normalise(answer)
    return any(normalise(alt) in normalised for alt in alternatives)


def answer_correct(item: GoldItem, answer: Answer) -> bool:
    """Answered (not declined), every fact group held, no forbidden string present."""
    if answer.abstained:
        return False
    text = answer.answer
    return all(holds_fact(text, group) for group in item.must_include) and not any(
        normalise(bad) in normalise(text) for bad in item.must_not_include
    )


def citation_hits(item: GoldItem, answer: Answer) -> tuple[int, int]:
    """(citations naming a gold source, all citations)."""
    return sum(c.doc_id in item.sources for c in answer.citations), len(answer.citations)


def quote_hits(answer: Answer, texts: dict[str, str]) -> tuple[int, int]:
    """(citations whose quote equals the source text at its offsets, all citations)."""
    valid = sum(
        1
        for c in answer.citations
        if texts.get(c.doc_id, "")[c.start : c.end] == c.quote and c.quote
    )
    return valid, len(answer.citations)


def retrieval_rank(item: GoldItem, answer: Answer) -> int | None:
    """1-based rank of the first retrieved chunk from a gold source, or None."""
    for rank, hit in enumerate(answer.retrieved, start=1):
        if hit.doc_id in item.sources:
            return rank
    return None
