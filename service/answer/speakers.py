"""Who is speaking in a sentence: the question's speaker named as the one saying something
("Witkoff highlighted that…", "according to X", "…, said X"), or a quote or pronoun carrying on
right after they spoke — not a sentence that merely mentions them."""

import re

from service.answer.evidence import REPORTING_VERB, Sentence
from service.answer.question import Entity

_INVERTED = re.compile(r"\b(?:said|says|added|noted|wrote|told|asked|warned)\b", re.IGNORECASE)
_QUOTE_MARK = re.compile(r"[“”‘’\"]")
_STARTS_WITH_REFERENCE = re.compile(
    r"^[“‘\"']?\s*(?:he|she|they|his|her|their|the (?:official|envoy|leader))\b|^[“‘\"]",
    re.IGNORECASE,
)


def mentions(sentence: Sentence, entity: Entity) -> bool:
    return entity.head in sentence.terms


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in re.finditer(r"“[^”]*”|\"[^\"]*\"", text)]
    spans += [m.span() for m in re.finditer(r"‘.*?’(?=[\s,.;:!?]|$)", text)]
    return spans


def _speaks_in(sentence: Sentence, speaker: Entity) -> bool:
    """The speaker is named as the one saying something in this sentence."""
    text = sentence.text
    lowered = text.lower()
    quoted = _quoted_spans(text)
    surface = re.escape(fold_surface(speaker))
    for match in re.finditer(rf"\b{surface}\b", lowered):
        if any(a <= match.start() < b for a, b in quoted):
            continue  # named inside someone else's quote
        if re.match(r"['’]s\b", lowered[match.end() :]):
            continue  # "Trump’s envoy said" reports the envoy, not Trump
        before = lowered[max(0, match.start() - 40) : match.start()]
        after = text[match.end() : match.end() + 120]
        verb = REPORTING_VERB.search(after)
        if "according to" in before[-14:] or (verb and len(after[: verb.start()].split()) <= 8):
            return True
        if _INVERTED.search(before):
            return True
    return False


def fold_surface(entity: Entity) -> str:
    return entity.surface.split()[-1].lower()


def attribution(sentence: Sentence, speaker: Entity) -> float:
    """How surely the sentence reports what `speaker` said: 1 named as speaking, 0.8 a pronoun
    or a quote continuing right after the speaker spoke, 0.3 a mere mention, 0 absent."""
    if mentions(sentence, speaker):
        return 1.0 if _speaks_in(sentence, speaker) else 0.3
    continues = _STARTS_WITH_REFERENCE.search(sentence.text) or re.search(
        r"\b(?:he|she)\b", sentence.text, re.IGNORECASE
    )
    if not continues or not (
        REPORTING_VERB.search(sentence.text) or _QUOTE_MARK.search(sentence.text)
    ):
        return 0.0
    earlier = sentence.previous
    for _ in range(3):
        if earlier is None:
            return 0.0
        if mentions(earlier, speaker):
            return 0.8
        earlier = earlier.previous
    return 0.0
