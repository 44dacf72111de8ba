import pytest

from service.config import load_settings
from service.errors import ConfigError
from service.ingest.chunk import TokenChunker, count_tokens
from service.ingest.clean import clean_article
from service.ingest.sentences import sentence_spans
from tests.conftest import ARTICLES


def sample_texts() -> list[str]:
    return [
        clean_article(p.read_text(encoding="utf-8")).text for p in sorted(ARTICLES.glob("*.txt"))
    ]


@pytest.mark.parametrize("size,overlap", [(256, 40), (120, 20), (64, 0)])
def test_chunks_cover_the_text_in_whole_sentences_within_budget(size: int, overlap: int) -> None:
    chunker = TokenChunker(size, overlap)
    for text in sample_texts():
        chunks = chunker.chunk(text)
        starts = {start for start, _ in sentence_spans(text)}
        ends = {end for _, end in sentence_spans(text)}
        for chunk in chunks:
            assert chunk.start in starts and chunk.end in ends, "a chunk cut through a sentence"
            assert count_tokens(text[chunk.start : chunk.end]) == chunk.tokens <= size
        # Every sentence lands in some chunk.
        for start, end in sentence_spans(text):
            assert any(c.start <= start and end <= c.end for c in chunks)
        assert [c.index for c in chunks] == list(range(len(chunks)))


def test_consecutive_chunks_overlap_by_whole_sentences() -> None:
    text = " ".join(
        f"Sentence number {i} talks about the summit in plain words." for i in range(60)
    )
    chunks = TokenChunker(100, 30).chunk(text)
    assert len(chunks) > 3
    for previous, current in zip(chunks, chunks[1:], strict=False):
        assert previous.start < current.start < previous.end, "expected an overlap"
        assert count_tokens(text[current.start : previous.end]) <= 30


def test_a_sentence_longer_than_a_chunk_is_split_at_words() -> None:
    text = "word " * 500 + "end."
    chunks = TokenChunker(64, 8).chunk(text)
    assert len(chunks) >= 8
    assert all(c.tokens <= 64 for c in chunks)
    assert all(text[c.start : c.end].strip() == text[c.start : c.end] for c in chunks)


def test_overlap_must_be_smaller_than_the_chunk() -> None:
    with pytest.raises(ValueError):
        TokenChunker(100, 100)
    with pytest.raises(ConfigError, match="NEWSQA_CHUNK_OVERLAP"):
        load_settings(_env_file=None, chunk_tokens=100, chunk_overlap=100)
