"""Sentence spans (character offsets) for news prose: abbreviations, initials and quotes aware."""

import re

# Sentence-ending punctuation, or the end of a markup token (a tag such as </context> or
# <|im_start|>, a markdown link or image): text injected into an article as markup then stands
# as a sentence of its own instead of swallowing the true sentence next to it.
_MARKUP_END = r"<[^<>\n]{1,60}>(?=\s)|!?\[[^\[\]\n]*\]\([^()\n]*\)(?=\s)"
_CANDIDATE = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s)|" + _MARKUP_END)
_MARKUP_START = re.compile(r"<[^<>\n]{1,60}>|!\[")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen sen rep gov lt col st sgt capt adm jr sr inc ltd co corp vs etc no "
    "jan feb mar apr jun jul aug sep sept oct nov dec approx est dept univ fig".split()
)
# After a dotted acronym ("U.S."), these words start a new sentence; others continue it
# ("U.S. President Trump").
_SENTENCE_STARTERS = frozenset(
    "he she it they we i you the this that these those but and however meanwhile in on at as a "
    "an his her their its our there here after before while when if so yet still then".split()
)
_REPORTING = re.compile(
    r"^\s+(?:[A-Z][\w.'’-]*\s+){0,3}(?:said|says|asked|added|noted|wrote|stated|told|insisted|"
    r"warned|explained|replied|responded|continued|argued|declared|remarked|recalled)\b"
)
_OPENING = "\"“‘'(["


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    end = match.end()
    rest = text[end:]
    stripped = rest.lstrip(" \t")
    if not stripped or stripped[0] == "\n":
        return True
    first = stripped[0]
    if _MARKUP_START.match(stripped):
        return True
    if not (first.isupper() or first.isdigit() or first in _OPENING):
        return False
    if match.group(0)[0] in "<[!":
        return True  # after markup: nothing below applies
    punct_at = match.start()
    word_match = re.search(r"(\S+)$", text[:punct_at])
    word = word_match.group(1) if word_match else ""
    closing_quote = match.group(0)[-1] in "\"”’'"
    if closing_quote and match.group(0)[0] in "?!,":
        # “What do you need?” Chambers asked — the quote sits inside the sentence.
        if _REPORTING.match(rest):
            return False
    if match.group(0).startswith(".") and not closing_quote:
        bare = word.lstrip(_OPENING)
        if bare.lower().rstrip(".") in _ABBREVIATIONS:
            return False
        if re.fullmatch(r"[A-Z]", bare):
            return False  # an initial, as in "John F. Kennedy"
        if re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", bare):
            next_word = re.match(r"[\w’']+", stripped)
            return next_word is not None and next_word.group(0).lower() in _SENTENCE_STARTERS
    return True


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence; paragraph breaks always end a sentence."""
    spans: list[tuple[int, int]] = []
    for paragraph in re.finditer(r"[^\n]+", text):
        base = paragraph.start()
        body = paragraph.group(0)
        start = len(body) - len(body.lstrip(" \t"))
        for match in _CANDIDATE.finditer(body):
            if match.end() <= start or not _is_boundary(body, match):
                continue
            spans.append((base + start, base + match.end()))
            start = match.end()
            while start < len(body) and body[start] in " \t":
                start += 1
        tail = body[start:].rstrip()
        if tail.strip():
            spans.append((base + start, base + start + len(tail)))
    return [(s, e) for s, e in spans if text[s:e].strip()]
