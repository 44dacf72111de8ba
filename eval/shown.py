"""`python -m eval.shown`: how often the passage holding the answer is among those an LLM is
shown — retrieval depth and the context budget decide it before any model is asked. For every
answerable gold item: retrieve `--top-k` passages, pack them into `--tokens` as the LLM
generator does, and check that a shown passage holds one alternative of every fact group."""

import argparse
import tempfile
from pathlib import Path

from eval import EVAL_DIR
from eval.gold import GoldItem, load_gold_sets
from eval.scorers import holds_fact
from service.answer.llm import pack_by_tokens
from service.config import load_settings
from service.services import Services, build_services

ROOT = EVAL_DIR.parent
SETS = [
    (ROOT / "data" / "articles", ["dev", "holdout", "fresh"]),
    (ROOT / "data" / "corpus-dev", ["corpus-dev-tune", "corpus-dev-untuned"]),
]


def recall(services: Services, items: list[GoldItem], depth: int, budget: int) -> float:
    """Share of answerable items whose facts all stand in the passages shown."""
    answerable = [item for item in items if item.answerable]
    hits = 0
    for item in answerable:
        history = [(turn.role, turn.content) for turn in item.history]
        retrieval = services.answerer.retrieve(item.question, depth, history)
        texts = [passage.chunk.text for passage in retrieval.passages]
        packed = pack_by_tokens(texts, budget, 1)
        shown = " ".join(texts[i] for i in packed[0]) if packed else ""
        hits += all(holds_fact(shown, group) for group in item.must_include)
    return hits / len(answerable)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top-k", type=int, action="append", help="default: 6 and 16")
    parser.add_argument("--tokens", type=int, action="append", help="default: 800 and 6000")
    args = parser.parse_args()
    depths, budgets = args.top_k or [6, 16], args.tokens or [800, 6000]
    for articles, names in SETS:
        with tempfile.TemporaryDirectory(prefix="newsqa-shown-") as tmp:
            settings = load_settings(_env_file=None, data_dir=Path(tmp) / "s", chroma_url=None)
            services = build_services(settings)
            try:
                services.ingestor.ingest_paths([articles])
                for name in names:
                    items, _ = load_gold_sets([EVAL_DIR / "gold" / f"{name}.jsonl"])
                    for depth in depths:
                        for budget in budgets:
                            share = recall(services, items, depth, budget)
                            print(f"{name:<20} top_k {depth:>3} tokens {budget:>5}: {share:.3f}")
            finally:
                services.close()


if __name__ == "__main__":
    main()
