"""Key-fact recall of article summaries: the facts gold questions ask about an article (each
answerable single-source item), and how many of them a summary of that article states, judged
as answers are (`eval.scorers.holds_fact` on every `must_include` group). Beside newsqa's
extractive summarizer stand two baselines: the lead (the first sentences within the budget) and
TextRank (PageRank over the sentences' TF-IDF cosine graph).

`make bench-summaries` (`python -m bench.summary_recall [--words 80,120,150]`) writes the table
for the fact sets below to bench/SUMMARIES.md; the README carries its numbers."""

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval import EVAL_DIR
from eval.gold import GoldItem, load_gold
from eval.scorers import holds_fact
from service.answer.evidence import cached_sentence_spans
from service.ingest.clean import clean_article
from service.ingest.loaders import expand_paths, load_file
from service.summary.extractive import ExtractiveSummarizer, cosine, document_sentences, tfidf
from service.summary.models import count_words

ROOT = EVAL_DIR.parent
GOLD = EVAL_DIR / "gold"
# (name, [(articles, gold sets)], tuned on?) — facts of the untuned sets were never read for
# tuning. The written sets were written blind, for evaluation, after the summarizer was built;
# -3 to -7 may be tuned on since, -8 to -17 not.
WRITTEN_TUNED = [f"corpus-written-{n}" for n in range(3, 8)]
WRITTEN_UNTUNED = [f"corpus-written-{n}" for n in range(8, 14)]
WRITTEN_NEWER = ["corpus-written-14", "corpus-written-15"]  # measured once, when they came
WRITTEN_NEWEST = ["corpus-written-16", "corpus-written-17"]  # the same, a round later
FACT_SETS = [
    ("samples, untuned", [(ROOT / "data" / "articles", ["fresh"])], False),
    ("corpus-dev, untuned", [(ROOT / "data" / "corpus-dev", ["corpus-dev-untuned"])], False),
    ("written -16, -17, untuned", [(ROOT / "data" / n, [n]) for n in WRITTEN_NEWEST], False),
    ("written -14, -15, untuned", [(ROOT / "data" / n, [n]) for n in WRITTEN_NEWER], False),
    ("written -8 to -13, untuned", [(ROOT / "data" / n, [n]) for n in WRITTEN_UNTUNED], False),
    ("written -3 to -7", [(ROOT / "data" / n, [n]) for n in WRITTEN_TUNED], True),
    ("samples, tuned", [(ROOT / "data" / "articles", ["dev", "holdout"])], True),
    ("corpus-dev, tuned", [(ROOT / "data" / "corpus-dev", ["corpus-dev-tune"])], True),
]
Summarize = Callable[[str, str | None, str, int], str]


@dataclass(frozen=True)
class Article:
    doc_id: str
    title: str | None
    text: str


def articles(folder: Path) -> dict[str, Article]:
    """The folder's documents as ingest cleans them, by id."""
    files, _ = expand_paths([folder])
    found = {}
    for path in files:
        for raw in load_file(path, 10_000_000):
            cleaned = clean_article(raw.text, title=raw.title, markdown=raw.is_markdown)
            found[raw.id] = Article(raw.id, cleaned.title, cleaned.text)
    return found


def key_facts(gold_files: list[Path]) -> dict[str, list[GoldItem]]:
    """{doc id: the answerable, single-source, standalone gold items about it}."""
    facts: dict[str, list[GoldItem]] = {}
    for path in gold_files:
        for item in load_gold(path):
            if item.answerable and len(item.sources) == 1 and not item.history:
                facts.setdefault(item.sources[0], []).append(item)
    return facts


def fact_set(
    sources: list[tuple[Path, list[str]]],
) -> tuple[dict[str, Article], dict[str, list[GoldItem]]]:
    """The articles of every folder and the key facts of their gold sets, by doc id."""
    docs: dict[str, Article] = {}
    facts: dict[str, list[GoldItem]] = {}
    for folder, sets in sources:
        docs |= articles(folder)
        for doc_id, items in key_facts([GOLD / f"{name}.jsonl" for name in sets]).items():
            facts.setdefault(doc_id, []).extend(items)
    return docs, facts


def stated(summary: str, fact: GoldItem) -> bool:
    return all(holds_fact(summary, group) for group in fact.must_include)


def newsqa_summary(doc_id: str, title: str | None, text: str, max_words: int) -> str:
    return ExtractiveSummarizer().document(doc_id, title, text, max_words).text


def lead_summary(doc_id: str, title: str | None, text: str, max_words: int) -> str:
    """The article's first sentences, the last one cut at a word to end on the budget."""
    lead = " ".join(text[start:end] for start, end in cached_sentence_spans(text)).split()
    return " ".join(lead[:max_words])


def textrank_summary(doc_id: str, title: str | None, text: str, max_words: int) -> str:
    """TextRank: sentences ranked by PageRank over their TF-IDF cosine graph (damping 0.85),
    taken best first while they fit, shown in text order."""
    sentences = document_sentences(doc_id, title, text)
    vectors = tfidf(sentences)
    n = len(sentences)
    graph = np.array([[cosine(a, b) if i != j else 0.0 for j, b in enumerate(vectors)]
                      for i, a in enumerate(vectors)])  # fmt: skip
    outgoing = graph.sum(axis=1, keepdims=True)
    walk = np.divide(graph, outgoing, out=np.full_like(graph, 1 / max(1, n)), where=outgoing > 0)
    rank = np.full(n, 1 / max(1, n))
    for _ in range(50):
        rank = 0.15 / max(1, n) + 0.85 * walk.T @ rank
    chosen, used = [], 0
    for i in sorted(range(n), key=lambda i: -rank[i]):
        words = count_words(sentences[i].text)
        if used + words <= max_words:
            chosen.append(i)
            used += words
    return " ".join(sentences[i].text for i in sorted(chosen))


SYSTEMS: dict[str, Summarize] = {
    "newsqa": newsqa_summary,
    "lead": lead_summary,
    "textrank": textrank_summary,
}


def recall(
    summarize: Summarize, docs: dict[str, Article], facts: dict[str, list[GoldItem]], words: int
) -> tuple[int, int]:
    """(facts stated, facts) over the articles that have facts."""
    hits = total = 0
    for doc_id, items in facts.items():
        article = docs[doc_id]
        summary = summarize(doc_id, article.title, article.text, words)
        hits += sum(stated(summary, item) for item in items)
        total += len(items)
    return hits, total


def table(sizes: list[int], systems: list[str]) -> list[str]:
    lines = ["| facts | tuned? | n | " + " | ".join(f"{s} @ {w}" for w in sizes for s in systems)
             + " |", "|---|---|---|" + "---|" * (len(sizes) * len(systems))]  # fmt: skip
    for name, sources, tuned in FACT_SETS:
        docs, facts = fact_set(sources)
        cells = []
        n = 0
        for words in sizes:
            for system in systems:
                hits, n = recall(SYSTEMS[system], docs, facts, words)
                cells.append(f"{hits / max(1, n):.2f}")
        lines.append(f"| {name} | {'yes' if tuned else 'no'} | {n} | " + " | ".join(cells) + " |")
    return lines


OUT = Path(__file__).resolve().parent / "SUMMARIES.md"
ABOUT = [
    "# Key-fact recall of article summaries",
    "",
    "Written by `make bench-summaries` (bench/summary_recall.py). A fact is a gold item about "
    "one article (answerable, one source, no follow-up); a summary of that article states it "
    "when it holds every `must_include` group, as an answer would. Untuned facts were never "
    "read while the summarizer was built. Systems: newsqa's extractive summarizer "
    "(service/summary/coverage.py), the lead (the article's first words up to the budget) and "
    "TextRank (PageRank over the sentences' TF-IDF cosine graph). Columns: recall at each "
    "budget in words.",
    "",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", default="80,120,150", help="summary budgets, comma-separated")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    sizes = [int(w) for w in args.words.split(",")]
    lines = table(sizes, args.systems.split(","))
    print("\n".join(lines))
    args.out.write_text("\n".join(ABOUT + lines) + "\n", encoding="utf-8")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
