"""Small named scorers: each looks at one gold item and one answer and returns a verdict."""

import re
import unicodedata

from eval.gold import GoldItem
from service.answer.decline import MONTHS
from service.answer.figures import with_numerals
from service.answer.models import Answer


def normalise(text: str) -> str:
    """Case-folded, quotes and dashes unified, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[‘’ʼ`´]", "'", text)
    text = re.sub(r"[“”„]", '"', text)
    text = re.sub(r"[‐‑‒–—]", "-", text)
    return re.sub(r"\s+", " ", text).strip()


_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}) ({'|'.join(sorted(MONTHS))})\b")


def canonical(text: str) -> str:
    """`normalise`d, with numbers written as words in digits ("eleven" is 11) and a day before
    its month moved after it ("28 january" is "january 28"): an answer in its own words writes
    a figure or a date its own way."""
    return _DAY_MONTH.sub(r"\2 \1", normalise(with_numerals(text)))


def holds_fact(answer: str, alternatives: list[str]) -> bool:
    normalised = canonical(answer)
    return any(_found(canonical(alt), normalised) for alt in alternatives)


def _found(fact: str, text: str) -> bool:
    """`fact` in `text`, not starting inside a word or a number or ending inside a number: "9
    villages" is not in "19 villages", nor "800" in "1,800" or "8,000"."""
    opening = r"(?<!\w)" if fact[:1].isalnum() else ""
    opening += r"(?<!\d[,.])" if fact[:1].isdigit() else ""
    closing = r"(?![,.]?\d)" if fact[-1:].isdigit() else ""
    return re.search(opening + re.escape(fact) + closing, text) is not None


def answer_correct(item: GoldItem, answer: Answer) -> bool:
    """Answered (not declined), every fact group held, no forbidden string present."""
    if answer.abstained:
        return False
    text = answer.answer
    return all(holds_fact(text, group) for group in item.must_include) and not any(
        canonical(bad) in canonical(text) for bad in item.must_not_include
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
