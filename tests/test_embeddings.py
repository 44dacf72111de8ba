"""The local embedder: MiniLM as an int8 ONNX build, checked against sentence-transformers."""

from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from eval.gold import load_gold_sets
from service.config import load_settings
from service.services import Services
from vectorstore.embeddings import Embedder, TorchMiniLM, make_embedder
from vectorstore.minilm_onnx import OnnxMiniLM

GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold"


def test_int8_vectors_rank_the_samples_like_full_precision_minilm(
    minilm: Embedder, sample_services: Services
) -> None:
    full = make_embedder(load_settings(_env_file=None, embeddings="local-torch"))
    assert isinstance(full, TorchMiniLM) and isinstance(minilm, OnnxMiniLM)
    store = sample_services.store
    passages = [chunk.text for doc_id in store.document_ids() for chunk in store.get_chunks(doc_id)]
    items, _ = load_gold_sets([GOLD / "dev.jsonl", GOLD / "holdout.jsonl"])
    questions = [item.question for item in items]

    ours, reference = minilm.embed(passages + questions), full.embed(passages + questions)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert float((ours * reference).sum(axis=1).min()) >= 0.98

    # What a reader would notice: the passage full precision ranks first for a question is
    # still among the first three.
    split = len(passages)
    our_ranks = np.argsort(-(ours[split:] @ ours[:split].T), axis=1)
    their_best = np.argmax(reference[split:] @ reference[:split].T, axis=1)
    kept = [best in ranks[:3] for best, ranks in zip(their_best, our_ranks, strict=True)]
    assert sum(kept) >= 0.97 * len(kept)


def test_the_model_is_built_once_and_rebuilt_when_damaged(tmp_path: Path) -> None:
    texts = ["Witkoff met Putin in Moscow.", "Ukraine's army should reach 800,000 troops."]
    first = OnnxMiniLM(tmp_path)
    assert first.embed([]).shape == (0, 384)
    vectors = first.embed(texts)
    (built,) = tmp_path.glob("*.onnx")
    stamp = built.stat().st_mtime_ns
    # 7-bit weights (|w| <= 64: 2 x 255 x 64 fits an int16), which no CPU saturates: the same
    # vectors with and without VNNI.
    weights = [numpy_helper.to_array(w) for w in onnx.load(str(built)).graph.initializer]
    quantised = [w for w in weights if w.dtype == np.int8]
    assert quantised and all(int(np.abs(w).max()) <= 64 for w in quantised)

    assert np.array_equal(OnnxMiniLM(tmp_path).embed(texts), vectors)
    assert built.stat().st_mtime_ns == stamp  # reused, not built again

    built.write_bytes(built.read_bytes()[:4096])  # e.g. a disk filled up mid-copy
    assert np.allclose(OnnxMiniLM(tmp_path).embed(texts), vectors, atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == [built.name]  # no build leftovers
