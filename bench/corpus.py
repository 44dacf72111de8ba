"""News-like articles of controlled size for scale benchmarks, built from the sample articles:
each one a headline and paragraphs of sample sentences with their people, places and numbers
swapped, so that no two articles are alike and none is a duplicate the ingest could skip."""

import random
import re
from pathlib import Path

from service.answer.evidence import cached_sentence_spans
from service.ingest.chunk import count_tokens
from service.ingest.clean import clean_article

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "articles"
PEOPLE = (
    "Maria Lopez|Kenji Watanabe|Aisha Bello|Tomasz Nowak|Priya Raman|Lars Eriksen|Chen Wei|"
    "Fatima Haddad|Oliver Grant|Sofia Rossi|Daniel Okafor|Elena Petrova|Samuel Adeyemi|"
    "Hannah Schulz|Mateo Silva|Ingrid Holm|Rafael Mendes|Yuki Tanaka|Amara Diallo|Jonas Berg"
).split("|")
PLACES = (
    "Lisbon|Osaka|Lagos|Gdansk|Chennai|Bergen|Chengdu|Beirut|Leeds|Turin|Accra|Valencia|Quebec|"
    "Adelaide|Cusco|Tallinn|Porto|Nairobi|Hanoi|Krakow"
).split("|")
# Names in the samples that get swapped for the lists above.
_SAMPLE_PEOPLE = re.compile(
    r"\b(?:Volodymyr |President )?(?:Zelensk(?:y|iy|yy)|Putin|Trump|Witkoff|Biden|Macron|Starmer|"
    r"Merz|Rubio|Vance)\b"
)
_SAMPLE_PLACES = re.compile(
    r"\b(?:Ukraine|Russia|Kyiv|Kiev|Moscow|Washington|Berlin|Alaska|Europe|Paris|London)\b"
)
_NUMBER = re.compile(r"\b\d[\d,]*\b")
TOKENS_PER_ARTICLE = 620  # about three chunks at the default 256/40


def sample_sentences() -> list[str]:
    sentences = []
    for path in sorted(SAMPLES.glob("*.txt")):
        text = clean_article(path.read_text(encoding="utf-8")).text
        sentences += [text[s:e] for s, e in cached_sentence_spans(text) if len(text[s:e]) > 40]
    return sentences


def _vary(sentence: str, rng: random.Random) -> str:
    sentence = _SAMPLE_PEOPLE.sub(lambda _: rng.choice(PEOPLE), sentence)
    sentence = _SAMPLE_PLACES.sub(lambda _: rng.choice(PLACES), sentence)
    return _NUMBER.sub(lambda _: f"{rng.randint(2, 990):,}", sentence)


def article(index: int, pool: list[str], rng: random.Random) -> str:
    headline = f"{rng.choice(PLACES)} report {index}: {_vary(rng.choice(pool), rng)[:80]}"
    paragraphs: list[str] = []
    tokens = count_tokens(headline)
    while tokens < TOKENS_PER_ARTICLE:
        paragraph = " ".join(_vary(rng.choice(pool), rng) for _ in range(rng.randint(2, 4)))
        paragraphs.append(paragraph)
        tokens += count_tokens(paragraph)
    return headline + "\n\n" + "\n\n".join(paragraphs) + "\n"


def build(folder: Path, articles: int, seed: int = 11, progress: bool = True) -> Path:
    """`articles` files in `folder` (kept between runs: a complete folder is reused)."""
    marker = folder / ".complete"
    if marker.exists() and marker.read_text() == f"{articles}/{seed}":
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.txt"):
        old.unlink()
    rng = random.Random(seed)
    pool = sample_sentences()
    for index in range(articles):
        (folder / f"bench-{index:06d}.txt").write_text(article(index, pool, rng), "utf-8")
        if progress and (index + 1) % 2000 == 0:
            print(f"  corpus: {index + 1}/{articles} articles", flush=True)
    marker.write_text(f"{articles}/{seed}")
    return folder
