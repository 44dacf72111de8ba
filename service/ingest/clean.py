"""Cleaning: normalise unicode and whitespace, drop lines that are not article text, find a title.

The cleaned text is what is stored and what every citation offset points into, so it is plain
prose: paragraphs separated by one blank line, single spaces inside them.
"""

import re
import unicodedata
from dataclasses import dataclass

# Lines that belong to the page around an article, never to the article itself.
_BOILERPLATE = [
    r"aaj english",
    r"comments are closed( on this story)?\.?",
    r'"?\*"? indicates required fields?\.?',
    r"advertisement|sponsored( content)?|promoted",
    r"(share|tweet|email|print)( (this|the) (article|story))?",
    r"(sign up|subscribe)( (to|for) [\w ]+)?( newsletters?)?[.!]?",
    r"(read|see) (more|also)\b.*",
    r"related( articles| stories| coverage)?:?",
    r"(click|tap) here\b.*",
    r"(all rights reserved|copyright|©).{0,120}",
    r"follow us on\b.*",
    r"(this|our) (site|website) uses cookies\b.*",
    r"(accept|reject)( all)? cookies",
    r"skip to (main )?content",
    r"loading\.{0,3}",
]
_BOILERPLATE_LINE = re.compile(r"^(?:" + "|".join(_BOILERPLATE) + r")$", re.IGNORECASE)

# A line ending in one of these continues on the next line ("former U.S.\n\nPresident Trump").
_TRAILING_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]\.){2,}|\b(?:Mr|Mrs|Ms|Dr|Prof|Gen|Sen|Rep|Gov|Lt|Col|St|Sgt|Capt|Adm)\.)$"
)
_SENTENCE_END = re.compile(r"[.!?…:;\"”’')\]]$")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


@dataclass(frozen=True)
class CleanText:
    title: str | None
    text: str


def strip_markdown(text: str) -> str:
    """Markdown syntax to plain prose (headings, emphasis, links, images, list bullets)."""
    text = re.sub(r"^```.*?$", "", text, flags=re.MULTILINE)
    # Spans exclude their own delimiters, so each try ends at the next one: linear time even
    # on hostile input such as 100k nested brackets (these patterns were quadratic before).
    text = re.sub(r"!\[[^\[\]]*\]\([^()]*\)", "", text)
    text = re.sub(r"\[([^\[\]]+)\]\([^()]*\)", r"\1", text)
    text = re.sub(r"^\s{0,3}#{1,6}\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\s{0,3}>\s?", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"\*\*([^*\n]+)\*\*|__([^_\n]+)__", lambda m: m[1] or m[2], text)
    text = re.sub(r"(?<![\w*])\*(?!\s)([^*\n]+)(?<!\s)\*(?![\w*])", r"\1", text)
    return re.sub(r"`([^`]+)`", r"\1", text)


def normalise_line(line: str) -> str:
    line = "".join(ch if unicodedata.category(ch)[0] != "C" or ch == "\t" else " " for ch in line)
    return re.sub(r"\s+", " ", line).strip()


def looks_like_headline(line: str) -> bool:
    words = line.split()
    return 2 <= len(words) <= 30 and len(line) <= 200 and not re.search(r"[.!?,;:]$", line)


def clean_article(raw: str, title: str | None = None, markdown: bool = False) -> CleanText:
    """Clean raw article text; take a headline first line as the title when none is given."""
    if markdown:
        raw = strip_markdown(raw)
    text = unicodedata.normalize("NFKC", raw.translate(_INVISIBLE))
    text = text.replace("\r\n", "\n").replace("\r", "\n")

    paragraphs: list[str] = []
    continue_previous = False
    for raw_line in text.split("\n"):
        line = normalise_line(raw_line)
        if not line or _BOILERPLATE_LINE.match(line):
            continue
        wrapped = (
            bool(paragraphs) and not _SENTENCE_END.search(paragraphs[-1]) and line[0].islower()
        )
        if paragraphs and (continue_previous or wrapped):
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
        continue_previous = bool(_TRAILING_ABBREVIATION.search(paragraphs[-1]))

    given_title = normalise_line(title) if title else None
    if paragraphs and given_title and paragraphs[0].casefold() == given_title.casefold():
        paragraphs = paragraphs[1:]
    elif not given_title and len(paragraphs) > 1 and looks_like_headline(paragraphs[0]):
        given_title = paragraphs.pop(0)
    return CleanText(title=given_title or None, text="\n\n".join(paragraphs))
