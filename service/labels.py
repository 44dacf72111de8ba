"""How a document is named wherever a title is shown (library, citations, topic summaries, chat
"Sources:"): its headline, else its lede, else its source, else — only then — its id."""

import re

LABEL_WORDS = 8
_TOKEN = re.compile(r"\S+|\n")
_READABLE = re.compile(r"\w")
_TRAILING = " ,;:—–-‘“'\"("
_SENTENCE_END = ".!?…"


def document_label(
    title: str | None, text: str, source: str | None = None, doc_id: str = ""
) -> str:
    """The title, shortened to LABEL_WORDS words; without one, the first words of the text
    (within its first paragraph), then the source. "…" marks a cut."""
    for candidate in (title, lede(text), source):
        named = shortened(candidate) if candidate else ""
        if _READABLE.search(named):
            return named
    return doc_id


def shortened(text: str) -> str:
    words = text.split()
    if len(words) <= LABEL_WORDS:
        return text
    return " ".join(words[:LABEL_WORDS]).rstrip(_TRAILING) + "…"


def lede(text: str) -> str:
    """The text's first paragraph up to one word more than a label keeps (so `shortened` sees
    whether it was cut), a whole short one without its full stop. Reads no further."""
    words: list[str] = []
    for match in _TOKEN.finditer(text):
        if match.group() != "\n":
            words.append(match.group())
        if len(words) > LABEL_WORDS or (words and match.group() == "\n"):
            break
    return " ".join(words).rstrip(_TRAILING + _SENTENCE_END)
