"""Sentence vectors: embedded once at ingest, packed into chunk metadata, read back per document."""

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from service.config import load_settings
from service.ingest.loaders import RawDocument
from service.ingest.repair import rebuild
from service.ingest.sentences import sentence_spans
from service.ingest.vectors import HEADLINE_WEIGHT
from service.services import Services, build_services
from tests.conftest import ARTICLES, CountingEmbedder, ingested_samples
from tests.test_ingest import SAMPLE_IDS
from vectorstore import sentence_vectors
from vectorstore.embeddings import Embedder
from vectorstore.store import DocumentWrite, StoredChunk, StoredDocument

TROOPS = "003_90df2db88ee2fc19"
# A sentence embedded alone against its stored vector, embedded in a batch: the int8 model
# quantises activations per batch, so the two differ by up to about 0.018 (mean 0.990).
NEAR = 0.98


def test_packed_vectors_unpack_at_their_offsets_close_to_the_originals(minilm: Embedder) -> None:
    text = (ARTICLES / f"{TROOPS}.txt").read_text(encoding="utf-8")
    spans = sentence_spans(text)
    vectors = minilm.embed([text[start:end] for start, end in spans])
    packed = sentence_vectors.pack(spans, vectors)
    assert set(packed) == sentence_vectors.KEYS and all(isinstance(v, str) for v in packed.values())

    unpacked = sentence_vectors.unpack(dict(packed))
    assert list(unpacked) == spans
    for original, (span, restored) in zip(vectors, unpacked.items(), strict=True):
        assert restored.dtype == np.float32
        assert abs(float(np.linalg.norm(restored)) - 1.0) < 1e-5
        assert float(original @ restored) >= 0.99, span
    assert sentence_vectors.unpack({"doc_id": "old", "start": 0}) == {}
    with pytest.raises(ValueError):
        sentence_vectors.pack(spans[:1], vectors)


def test_stored_sentence_vectors_cover_every_sentence_and_stay_out_of_chunks(
    sample_services: Services,
) -> None:
    retriever, store = sample_services.retriever, sample_services.store
    retriever.sync()
    found = retriever.sentence_vectors([*SAMPLE_IDS, "no-such-document"])
    assert found["no-such-document"] == {}
    for doc_id in SAMPLE_IDS:
        document = store.get_document(doc_id)
        assert document is not None
        assert sorted(found[doc_id]) == sentence_spans(document.text)
        first, vector = next(iter(found[doc_id].items()))
        direct = sample_services.embedder.embed([document.text[first[0] : first[1]]])[0]
        assert float(direct @ vector) >= NEAR
        for chunk in store.get_chunks(doc_id):
            packed = store.chunks.get(ids=[chunk.id], include=["metadatas"])["metadatas"]
            listed = sentence_vectors.unpack(dict((packed or [{}])[0]))
            # A chunk holds exactly the sentences it overlaps.
            assert list(listed) == [
                (s, e)
                for s, e in sentence_spans(document.text)
                if s < chunk.end and e > chunk.start
            ]
    # Neither the retriever's snapshot of every chunk nor a dense hit carries the packed strings.
    held = [chunk.extra for chunk in retriever._state.chunks.values()]
    vector = sample_services.embedder.embed(["troops"])[0]
    held += [chunk.extra for chunk, _ in store.query(vector, 10)]
    assert held and all(not sentence_vectors.KEYS & set(extra) for extra in held)
    assert retriever.sentence_vectors(SAMPLE_IDS[:1]) == {SAMPLE_IDS[0]: found[SAMPLE_IDS[0]]}


def test_a_changed_document_leaves_no_old_sentence_vectors(
    services: Services, articles: Path, embedder: CountingEmbedder
) -> None:
    services.ingestor.ingest_paths([articles])
    services.retriever.sync()
    old_hash = services.store.content_hashes([TROOPS])[TROOPS]
    before = services.retriever.sentence_vectors([TROOPS])[TROOPS]  # cached now

    article = articles / f"{TROOPS}.txt"
    # Longer than the figure it replaces, so every later sentence moves.
    article.write_text(article.read_text("utf-8").replace("800,000", "nearly 650,000"), "utf-8")
    embedded = embedder.texts_embedded
    report = services.ingestor.ingest_paths([articles])
    assert report.counts["updated"] == 1
    document = services.store.get_document(TROOPS)
    assert document is not None and "650,000" in document.text
    # Only the changed document is embedded again: its sentences (this sample has no headline).
    assert document.title is None
    assert embedder.texts_embedded - embedded == report.sentences_embedded
    assert report.sentences_embedded == len(sentence_spans(document.text))

    services.retriever.sync()
    after = services.retriever.sentence_vectors([TROOPS])[TROOPS]
    assert sorted(after) == sentence_spans(document.text)
    assert set(after) != set(before)
    [(start, end)] = [span for span in after if "650,000" in document.text[slice(*span)]]
    direct = services.embedder.embed([document.text[start:end]])[0]
    assert float(direct @ after[(start, end)]) >= NEAR
    stale = services.store.chunks.get(where={"content_hash": old_hash}, include=[])
    assert stale["ids"] == []


def test_a_document_stored_without_sentence_vectors_reads_as_none(services: Services) -> None:
    """As stored by an older version: chunks without the packed keys."""
    text = "An older article. It was stored before sentence vectors."
    document = StoredDocument(id="older", text=text, content_hash="h-old", n_chunks=1)
    chunk = StoredChunk("older:h-old:00000", "older", 0, text, 0, len(text), "h-old")
    vector = np.full((1, 384), 1 / np.sqrt(384), dtype=np.float32)
    services.store.write_documents([DocumentWrite(document, [chunk], vector)])
    services.retriever.sync()
    assert services.retriever.sentence_vectors(["older"]) == {"older": {}}


def test_a_chunk_vector_is_its_sentences_mean_with_the_headline(
    sample_services: Services,
) -> None:
    document = sample_services.store.get_document("001_78312c3eab1f5132")
    assert document is not None and document.title
    headline = sample_services.embedder.embed([document.title])[0]
    stored = sample_services.store.chunks.get(
        where={"doc_id": document.id}, include=["embeddings", "metadatas"]
    )
    embeddings = stored["embeddings"]
    assert embeddings is not None
    for vector, meta in zip(embeddings, stored["metadatas"] or [], strict=True):
        sentences = np.array(list(sentence_vectors.unpack(dict(meta)).values()))
        mean = sentences.mean(axis=0) + HEADLINE_WEIGHT * headline
        # Without the headline term the match is only about 0.98.
        assert float(np.asarray(vector) @ mean) / float(np.linalg.norm(mean)) >= 0.999


def test_a_sentence_repeated_across_a_batch_is_embedded_once(
    tmp_path: Path, embedder: CountingEmbedder
) -> None:
    line = "Follow the Harbour Courier for more news from the coast."
    documents = [
        RawDocument(f"coast-{n}", f"The ferry to Isle {n} was cancelled on Monday. {line}")
        for n in range(3)
    ]
    settings = load_settings(_env_file=None, data_dir=tmp_path / "store")
    built = build_services(settings, embedder=embedder)
    try:
        built.ingestor.ingest_raw(documents)
        assert embedder.times_embedded[line] == 1
        built.retriever.sync()
        stored = built.retriever.sentence_vectors([d.id for d in documents])
        repeated = [v for found in stored.values() for span, v in found.items() if span[0] > 40]
        assert len(repeated) == 3 and all(float(v @ repeated[0]) >= NEAR for v in repeated)
    finally:
        built.close()


def test_a_rebuilt_store_reuses_its_stored_sentence_vectors(
    tmp_path: Path, embedder: CountingEmbedder
) -> None:
    """A damaged store is rebuilt from its records without embedding its sentences again: only
    the headlines are (they are not stored), and the store answers as before."""
    store = tmp_path / "store"
    shutil.copytree(ingested_samples(), store)
    settings = load_settings(_env_file=None, data_dir=store)
    report = rebuild(settings, embedder, "damaged for the test")
    assert report.documents == len(SAMPLE_IDS)
    built = build_services(settings, embedder=embedder)
    try:
        documents = built.store.get_documents(built.store.document_ids())
        assert sorted(documents) == SAMPLE_IDS
        titles = [d.title for d in documents.values() if d.title]
        assert embedder.times_embedded == Counter(titles)
        built.retriever.sync()
        found = built.retriever.sentence_vectors(SAMPLE_IDS)
        for doc_id, document in documents.items():
            spans = sentence_spans(document.text)
            assert sorted(found[doc_id]) == spans, doc_id
            # The kept vectors are the ones the first ingest made, whole.
            probe = document.text[slice(*spans[len(spans) // 2])]
            direct = built.embedder.embed([probe])[0]
            assert float(direct @ found[doc_id][spans[len(spans) // 2]]) >= NEAR
        answer = built.answerer.answer("What did Witkoff say about Putin?")
        assert not answer.abstained and answer.citations
    finally:
        built.close()
