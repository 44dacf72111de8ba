"""Writing a summary from chosen points: `[n]` markers numbered in reading order (one citation
per distinct span, reused when a span is cited twice), topic summaries grouped by source and
closed by the disagreements. Word counts here are the ones the budget is kept in."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from service.answer.evidence import Sentence
from service.answer.service import CitedSpan
from service.labels import document_label
from service.summary.disagreement import Disagreement
from service.summary.models import count_words

NOT_COVERED = "The ingested articles do not cover this topic."
_CLAUSE_END = re.compile(r"[,;:—–]$")
_TRAILING = " ,;:—–-‘“'\"("


@dataclass(frozen=True)
class Point:
    """One sentence of the summary and the verbatim span it cites."""

    text: str  # the cited sentence, a cut prefix of it marked "…", or a verified LLM claim
    span: CitedSpan

    @classmethod
    def of(cls, sentence: Sentence) -> "Point":
        return cls(sentence.text, CitedSpan.of(sentence))

    @property
    def words(self) -> int:
        return count_words(self.text)


@dataclass(frozen=True)
class Drafted:
    text: str
    cited: list[CitedSpan]
    mode: str
    disagreements: list[str] = field(default_factory=list)
    note: str = ""


class _Markers:
    def __init__(self) -> None:
        self.cited: list[CitedSpan] = []
        self._numbers: dict[tuple[str, int, int], int] = {}

    def __call__(self, span: CitedSpan) -> str:
        key = (span.doc_id, span.start, span.end)
        if key not in self._numbers:
            self.cited.append(span)
            self._numbers[key] = len(self.cited)
        return f"[{self._numbers[key]}]"


def label(source: CitedSpan | Sentence) -> str:
    """How a source is named in a topic summary: its document's label (`document_label`: the
    headline, shortened, else the lede), never its id."""
    # Only a document summary's own sentences go unlabelled, and it never names its source.
    return source.label or document_label(source.title, source.text)


def label_words(span: CitedSpan) -> int:
    return count_words(label(span))


def cut(sentence: Sentence, max_words: int) -> Point | None:
    """A verbatim prefix of the sentence of at most `max_words` words, cut after a clause if
    that keeps at least half of them, else after a word; the summary marks the cut with "…"."""
    if max_words < 3:
        return None
    text = sentence.text
    words = 0
    last_word: int | None = None
    last_clause: int | None = None
    for token in re.finditer(r"\S+", text):
        words += count_words(token.group(0))
        if words > max_words:
            break
        last_word = token.end()
        if _CLAUSE_END.search(token.group(0)) and words >= max_words / 2:
            last_clause = token.end()
    end = last_clause or last_word
    if end is None:
        return None
    prefix = text[:end].rstrip(_TRAILING)
    if not prefix or count_words(prefix) == 0:
        return None
    span = CitedSpan(sentence.doc_id, sentence.title, sentence.start,
                     sentence.start + len(prefix), prefix, sentence.label)  # fmt: skip
    return Point(prefix + "…", span)


def write_document(points: list[Point], mode: str, note: str = "") -> Drafted:
    mark = _Markers()
    text = " ".join(f"{point.text} {mark(point.span)}" for point in points)
    return Drafted(text, mark.cited, mode, note=note)


def statement(item: Disagreement, mark: Callable[[CitedSpan], str]) -> str:
    a, b = item.first, item.second
    a_label = label(a.sentence)
    b_label = label(b.sentence)
    return (
        f"Sources disagree on {item.subject}: {a_label} says “{a.text}” "
        f"{mark(CitedSpan.of(a.sentence))}, while {b_label} says “{b.text}” "
        f"{mark(CitedSpan.of(b.sentence))}."
    )


def statement_words(item: Disagreement) -> int:
    return count_words(statement(item, lambda span: "[0]"))


def write_topic(
    points: list[Point], disagreements: list[Disagreement], mode: str, note: str = ""
) -> Drafted:
    """One line per source, in order of each source's first point ("<source>: sentence [1]
    sentence [2]"), then one line per disagreement."""
    if not points and not disagreements:
        return Drafted(NOT_COVERED, [], mode, note=note)
    groups: dict[str, list[Point]] = {}
    for point in points:
        groups.setdefault(point.span.doc_id, []).append(point)
    mark = _Markers()
    lines = [
        f"{label(group[0].span)}: "
        + " ".join(f"{point.text} {mark(point.span)}" for point in group)
        for group in groups.values()
    ]
    statements = [statement(item, mark) for item in disagreements]
    return Drafted("\n".join(lines + statements), mark.cited, mode, statements, note)
