"""Ingestion against real Chroma: embedded, and a real `chroma run` server (parametrised)."""

import json
from pathlib import Path

import pytest

from service.ingest.loaders import RawDocument
from service.ingest.pipeline import WRITE_BATCH_CHUNKS
from service.ingest.report import Outcome
from service.labels import document_label
from service.services import Services
from tests.conftest import ARTICLES, CountingEmbedder

SAMPLE_IDS = sorted(p.stem for p in ARTICLES.glob("*.txt"))


def revise_troop_figure(article: Path) -> None:
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("800,000", "650,000"), encoding="utf-8")


def stored_chunks_named(services: Services) -> int:
    """How many chunks the stored document records name: any other chunk is an orphan."""
    documents = services.store.list_documents(limit=1000)[0]
    return sum(document.n_chunks for document in documents)


def test_samples_are_stored_and_read_back_with_exact_offsets(services: Services) -> None:
    report = services.ingestor.ingest_paths([ARTICLES])
    assert report.counts == {"added": 5, "updated": 0, "unchanged": 0, "failed": 0}
    assert services.store.document_ids() == SAMPLE_IDS

    first = services.store.get_document("001_78312c3eab1f5132")
    assert first is not None
    assert first.title == "US, European allies unite to support Ukraine’s defense against Russia"
    assert "Aaj English" not in first.text
    assert "Trump hosted Zelenskiy alongside several European allies" in first.text

    for doc_id in SAMPLE_IDS:
        document = services.store.get_document(doc_id)
        assert document is not None
        chunks = services.store.get_chunks(doc_id)
        assert len(chunks) == document.n_chunks >= 2
        for chunk in chunks:
            assert chunk.text == document.text[chunk.start : chunk.end]
            assert chunk.content_hash == document.content_hash
            assert chunk.extra.get("title") == document.title
        # The chunks cover the whole cleaned text.
        assert chunks[0].start == 0 and chunks[-1].end == len(document.text)


def test_similar_question_finds_the_right_article(services: Services) -> None:
    services.ingestor.ingest_paths([ARTICLES])
    vector = services.embedder.embed(["How many well-trained troops should Ukraine's army reach?"])[
        0
    ]
    best, score = services.store.query(vector, 1)[0]
    assert best.doc_id == "003_90df2db88ee2fc19" and "800,000" in best.text
    assert 0 < score <= 1


def test_unchanged_reingest_computes_no_embeddings(
    services: Services, embedder: CountingEmbedder
) -> None:
    first = services.ingestor.ingest_paths([ARTICLES])
    embedded_first = embedder.texts_embedded
    chunks_before = {doc_id: services.store.get_chunks(doc_id) for doc_id in SAMPLE_IDS}
    # Every sentence once, and each headline: chunk vectors are made from those.
    titled = [doc for doc in services.store.get_documents(SAMPLE_IDS).values() if doc.title]
    assert embedded_first == first.sentences_embedded + len(titled)
    assert first.sentences_embedded > first.chunks_embedded == services.store.count_chunks() > 0

    report = services.ingestor.ingest_paths([ARTICLES])
    assert report.counts["unchanged"] == 5
    assert report.chunks_embedded == report.sentences_embedded == 0
    assert embedder.texts_embedded == embedded_first
    assert {doc_id: services.store.get_chunks(doc_id) for doc_id in SAMPLE_IDS} == chunks_before


def test_editing_an_article_replaces_all_its_old_chunks(services: Services, articles: Path) -> None:
    services.ingestor.ingest_paths([articles])
    target = articles / "003_90df2db88ee2fc19.txt"
    old_ids = {chunk.id for chunk in services.store.get_chunks(target.stem)}
    others_before = {
        p.stem: services.store.get_chunks(p.stem) for p in articles.glob("*.txt") if p != target
    }

    revise_troop_figure(target)
    report = services.ingestor.ingest_paths([articles])
    assert report.counts == {"added": 0, "updated": 1, "unchanged": 4, "failed": 0}

    new_chunks = services.store.get_chunks(target.stem)
    assert not old_ids & {chunk.id for chunk in new_chunks}
    document = services.store.get_document(target.stem)
    assert document is not None and "650,000" in document.text and "800,000" not in document.text
    assert len(new_chunks) == document.n_chunks
    assert all("800,000" not in chunk.text for chunk in new_chunks)
    assert services.store.count_chunks() == stored_chunks_named(services)
    assert {p: services.store.get_chunks(p) for p in others_before} == others_before


def test_chunks_a_killed_run_left_are_dropped_when_the_changed_article_is_added(
    services: Services, articles: Path
) -> None:
    target = articles / "003_90df2db88ee2fc19.txt"
    services.ingestor.ingest_paths([target])
    orphan_ids = {chunk.id for chunk in services.store.get_chunks(target.stem)}
    # A run killed after storing the chunks, before the record naming them: chunks, no record.
    services.store.documents.delete(ids=[target.stem])
    assert services.store.count_documents() == 0 and services.store.count_chunks() > 0

    revise_troop_figure(target)
    report = services.ingestor.ingest_paths([articles])
    assert report.counts == {"added": 5, "updated": 0, "unchanged": 0, "failed": 0}
    chunks = services.store.get_chunks(target.stem)
    assert not orphan_ids & {chunk.id for chunk in chunks}
    assert all("800,000" not in chunk.text for chunk in chunks)
    assert services.store.count_chunks() == stored_chunks_named(services)


def test_delete_removes_a_document_entirely(services: Services) -> None:
    services.ingestor.ingest_paths([ARTICLES])
    before = services.store.count_chunks()
    removed = len(services.store.get_chunks("002_ffeabc11d1486852"))
    assert services.store.delete_document("002_ffeabc11d1486852") is True
    assert services.store.get_document("002_ffeabc11d1486852") is None
    assert services.store.get_chunks("002_ffeabc11d1486852") == []
    assert services.store.count_chunks() == before - removed
    assert services.store.delete_document("002_ffeabc11d1486852") is False


def test_bad_files_fail_alone_and_leave_the_store_untouched(
    services: Services, tmp_path: Path
) -> None:
    services.ingestor.ingest_paths([ARTICLES])
    snapshot = {doc_id: services.store.get_document(doc_id) for doc_id in SAMPLE_IDS}
    chunks = services.store.count_chunks()

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "000_24ebec4603e8d0ce.txt").write_bytes(b"\x00\x01binary over an existing id")
    (bad / "empty.txt").write_text("", encoding="utf-8")
    (bad / "broken.json").write_text('{"id": "001_78312c3eab1f5132", "text": ', encoding="utf-8")
    (bad / "good.json").write_text(
        json.dumps(
            {
                "id": "fresh-1",
                "title": "Fresh",
                "text": "A new short article. It has two sentences.",
            }
        ),
        encoding="utf-8",
    )
    report = services.ingestor.ingest_paths([bad, tmp_path / "nowhere"])
    failed = {Path(r.source).name: r.error for r in report.failed}
    assert failed == {
        "nowhere": "no such file or folder",
        "000_24ebec4603e8d0ce.txt": "binary file (contains NUL bytes), not text",
        "empty.txt": "empty file",
        "broken.json": "invalid JSON: Expecting value at line 1 column 40",
    }
    assert [r.doc_id for r in report.results if r.outcome is Outcome.ADDED] == ["fresh-1"]
    assert {doc_id: services.store.get_document(doc_id) for doc_id in SAMPLE_IDS} == snapshot
    assert services.store.count_chunks() == chunks + 1


def test_documents_list_in_id_order_with_total(services: Services) -> None:
    services.ingestor.ingest_paths([ARTICLES])
    page, total = services.store.list_documents(limit=2, offset=1)
    assert total == 5
    assert [d.id for d in page] == SAMPLE_IDS[1:3]
    assert all(d.text == "" and d.content_hash for d in page)


def test_a_feed_of_many_documents_is_stored_whole_and_in_order(
    services: Services, tmp_path: Path
) -> None:
    """Documents are written in groups; each must still come out complete, and a feed that
    names one id twice ends with its last version only."""
    article = (ARTICLES / "001_78312c3eab1f5132.txt").read_text(encoding="utf-8")
    records = [
        {
            "id": f"feed-{n:02d}",
            "title": f"Feed item {n}",
            "text": f"Item {n} of the feed.\n{article}",
        }
        for n in range(50)
    ]
    # The correction arrives in the same write group as the first version.
    records.insert(5, {"id": "feed-03", "title": "Feed item 3, corrected", "text": "Corrected."})
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(record) for record in records), encoding="utf-8")

    report = services.ingestor.ingest_paths([feed])
    outcomes = [r.outcome for r in report.results]
    assert outcomes == [Outcome.ADDED] * 5 + [Outcome.UPDATED] + [Outcome.ADDED] * 45
    assert report.chunks_embedded > 2 * WRITE_BATCH_CHUNKS  # several write groups
    for record in records[:3] + records[4:]:  # the first feed-03 is replaced
        document = services.store.get_document(record["id"])
        assert document is not None and document.title == record["title"]
        chunks = services.store.get_chunks(record["id"])
        assert len(chunks) == document.n_chunks
        assert all(chunk.text == document.text[chunk.start : chunk.end] for chunk in chunks)
        assert chunks[0].start == 0 and chunks[-1].end == len(document.text)
    assert services.store.count_documents() == 50
    assert services.store.count_chunks() == stored_chunks_named(services)


def test_document_records_are_read_in_pages(
    sample_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unpaged read of every record fails past 32k documents (SQLite's variable limit)."""
    monkeypatch.setattr("vectorstore.store._RECORDS_PER_PAGE", 2)
    assert sample_services.store.document_ids() == sorted(SAMPLE_IDS)
    records = sample_services.store.all_documents()
    assert sorted(records) == sorted(SAMPLE_IDS)
    assert all(record.content_hash and record.n_chunks for record in records.values())


def test_documents_without_a_headline_are_labelled_by_their_lede(services: Services) -> None:
    long_title = "Harbour wall repairs begin after a winter of storms, officials say"
    lede = "Crews began work on the harbour wall on Monday morning, the port said."
    report = services.ingestor.ingest_raw(
        [
            RawDocument(id="long-title", title=long_title, text="Work began on Monday."),
            RawDocument(id="ledeless", text=f"{lede}\n\nMore follows."),
            RawDocument(id="short-lede", text="Harbour reopens.\n\nShips returned on Monday."),
        ]
    )
    expected = {
        "long-title": "Harbour wall repairs begin after a winter of…",
        "ledeless": "Crews began work on the harbour wall on…",
        "short-lede": "Harbour reopens",
    }
    assert {r.doc_id: r.label for r in report.results} == expected
    listed, _ = services.store.list_documents()
    assert {d.id: d.label for d in listed} == expected
    stored = services.store.get_document("ledeless")
    assert stored is not None and stored.title is None and stored.text.startswith(lede)
    # Text with no word in it falls back to the source, then to the id.
    assert document_label(None, "— · —", "Kestrel Gazette", "x") == "Kestrel Gazette"
    assert document_label(None, "— · —", None, "x") == "x"


def test_a_record_stored_before_labels_gets_one_from_its_text(services: Services) -> None:
    text = "Crews began work on the harbour wall on Monday morning."
    services.ingestor.ingest_raw([RawDocument(id="older", text=text)])
    # The record as an earlier version stored it: without the label.
    documents = services.store.documents
    record = documents.get(ids=["older"], include=["metadatas", "documents", "embeddings"])
    metadata = {k: v for k, v in (record["metadatas"] or [{}])[0].items() if k != "label"}
    documents.delete(ids=["older"])  # an upsert would merge the label back in
    documents.add(
        ids=["older"],
        documents=record["documents"],
        embeddings=record["embeddings"],
        metadatas=[metadata],
    )
    lede = "Crews began work on the harbour wall on…"
    assert services.store.all_documents()["older"].label is None  # read without its text
    assert services.store.list_documents()[0][0].label == lede
    services.retriever.invalidate()
    services.retriever.sync()
    assert services.retriever.label("older") == lede
