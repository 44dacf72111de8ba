"""Quote verification: find a model's quote in the source text and return the exact offsets of
what the source really says there — or nothing, when the source does not say it."""

import re
import unicodedata

from rapidfuzz import fuzz

FUZZY_MIN_SCORE = 92.0  # partial_ratio, 0..100: a few characters of drift, no paraphrase
_FOLD = str.maketrans(
    {"‘": "'", "’": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "‐": "-"}
)


def normalised_with_map(text: str) -> tuple[str, list[int]]:
    """Text folded for matching (case, quotes, dashes, whitespace) and, for every character of
    it, the offset of the source character it came from."""
    chars: list[str] = []
    offsets: list[int] = []
    previous_space = True
    for index, char in enumerate(text):
        folded = unicodedata.normalize("NFKC", char).translate(_FOLD).casefold()
        if folded.isspace() or not folded:
            if not previous_space:
                chars.append(" ")
                offsets.append(index)
            previous_space = True
            continue
        for piece in folded:
            chars.append(piece)
            offsets.append(index)
        previous_space = False
    if chars and chars[-1] == " ":
        chars.pop()
        offsets.pop()
    return "".join(chars), offsets


def strip_quote(quote: str) -> str:
    return quote.strip().strip("\"'“”‘’").strip().rstrip(".,;:").strip()


def locate_quote(
    quote: str, text: str, within: tuple[int, int] | None = None
) -> tuple[int, int] | None:
    """(start, end) in `text` where `quote` stands, exactly after normalisation or fuzzily above
    a strict threshold; searched in `within` first, then in the whole text."""
    wanted, _ = normalised_with_map(strip_quote(quote))
    if len(wanted) < 12 or len(wanted.split()) < 3:
        return None  # too short to show that the source says anything
    regions = [within, None] if within else [None]
    for region in regions:
        begin, finish = region if region else (0, len(text))
        haystack, offsets = normalised_with_map(text[begin:finish])
        at = haystack.find(wanted)
        if at >= 0:
            return _span(text, begin, offsets, at, at + len(wanted))
        alignment = fuzz.partial_ratio_alignment(wanted, haystack, score_cutoff=FUZZY_MIN_SCORE)
        if alignment is not None:
            length = alignment.dest_end - alignment.dest_start
            if abs(length - len(wanted)) <= max(3, len(wanted) // 20):
                return _span(text, begin, offsets, alignment.dest_start, alignment.dest_end)
    return None


def _span(text: str, begin: int, offsets: list[int], start: int, end: int) -> tuple[int, int]:
    first = begin + offsets[start]
    last = begin + offsets[end - 1] + 1
    # Widen to whole words so a citation never starts or ends mid-word.
    while first > 0 and text[first - 1].isalnum():
        first -= 1
    while last < len(text) and text[last].isalnum():
        last += 1
    return first, last


def is_verbatim(quote: str, text: str, start: int, end: int) -> bool:
    return (
        0 <= start < end <= len(text) and text[start:end] == quote and bool(re.search(r"\w", quote))
    )
