"""Hybrid retrieval on real Chroma and the real embedder."""

from pathlib import Path

import pytest
from langchain_core.runnables import RunnableLambda

from service.ingest.loaders import record_to_document
from service.retrieval.fusion import fused_ranking
from service.retrieval.hybrid import Filters
from service.retrieval.langchain import NewsRetriever
from service.services import Services, build_services
from tests.conftest import ARTICLES, CountingEmbedder

ZELENSKY_ONLY = "000_24ebec4603e8d0ce"  # the one sample that spells "Zelensky"


def test_every_spelling_of_a_name_finds_the_articles_using_another(
    sample_services: Services,
) -> None:
    retriever = sample_services.retriever
    for spelling in ("Zelensky", "Zelenskiy", "Zelenskyy"):
        docs = {p.chunk.doc_id for p in retriever.retrieve(f"{spelling} Telegram post", 6)}
        assert ZELENSKY_ONLY in docs, spelling
        lexical = retriever.lexical.search(f"{spelling} Telegram", 3)
        assert lexical[0][0].startswith(ZELENSKY_ONLY)


def test_each_rankers_two_best_come_before_a_passage_both_rank_third() -> None:
    dense, lexical = ["d1", "d2", "both", "d3"], ["l1", "l2", "both"]
    ranked = fused_ranking(dense, lexical, rrf_k=60)
    scores = dict(ranked)
    assert scores["both"] == max(scores.values())  # by RRF alone it would lead
    assert [cid for cid, _ in ranked] == ["d1", "l1", "d2", "l2", "both", "d3"]


def test_a_passage_only_the_lexical_ranker_is_sure_of_is_kept(sample_services: Services) -> None:
    # Dense retrieval ranks this chunk low; BM25 ranks it first on its rare words.
    passages = sample_services.retriever.retrieve("anonymous diplomat warned narrative", 4)
    assert any("who controls the narrative" in p.chunk.text for p in passages)


def test_filters_restrict_documents_and_dates(sample_services: Services, tmp_path: Path) -> None:
    retriever = sample_services.retriever
    only = Filters(doc_ids=frozenset({"003_90df2db88ee2fc19"}))
    assert {p.chunk.doc_id for p in retriever.retrieve("troops", 6, only)} == {
        "003_90df2db88ee2fc19"
    }
    # The samples carry no dates: a date range excludes them all.
    assert retriever.retrieve("troops", 6, Filters(published_from="2025-01-01")) == []


def test_date_range_keeps_the_documents_published_inside_it(services: Services) -> None:
    records = [
        {"id": f"brief-{day}", "published_at": f"2025-08-{day}",
         "text": f"Officials met in Geneva on August {day} to discuss the grain corridor."}
        for day in ("10", "18", "25")
    ]  # fmt: skip
    services.ingestor.ingest_raw([record_to_document(r, default_id=None) for r in records])
    window = Filters(published_from="2025-08-15", published_to="2025-08-20")
    found = {
        p.chunk.doc_id for p in services.retriever.retrieve("Geneva grain corridor", 6, window)
    }
    assert found == {"brief-18"}
    after = Filters(published_from="2025-08-18")
    found = {p.chunk.doc_id for p in services.retriever.retrieve("Geneva grain corridor", 6, after)}
    assert found == {"brief-18", "brief-25"}


def test_near_duplicate_copies_are_returned_once(services: Services, tmp_path: Path) -> None:
    services.ingestor.ingest_paths([ARTICLES])
    source = ARTICLES / "003_90df2db88ee2fc19.txt"
    copy = tmp_path / "syndicated-copy.txt"
    copy.write_text(source.read_text(encoding="utf-8") + "\nRepublished with permission.", "utf-8")
    services.ingestor.ingest_paths([copy])
    passages = services.retriever.retrieve("800,000 well-trained troops", 6)
    with_figure = [p for p in passages if "800,000" in p.chunk.text]
    assert len(with_figure) == 1


def test_lexical_index_follows_writes_from_another_process(
    services: Services, embedder: CountingEmbedder
) -> None:
    """Two Services on one Chroma server stand for two processes (embedded mode allows one)."""
    if not services.settings.chroma_url:
        pytest.skip("embedded mode is single-writer: no other process can write")
    services.ingestor.ingest_paths([ARTICLES / "001_78312c3eab1f5132.txt"])
    reader = services.retriever
    assert reader.lexical.search("Hungary", 3) == [] and reader.retrieve("Hungary", 3)
    assert reader.lexical.search("Hungary", 3)[0][0].startswith("001_")

    other = build_services(services.settings, embedder=embedder)
    record = {
        "id": "late-news",
        "text": "Officials in Reykjavik confirmed the glacier survey results.",
    }
    other.ingestor.ingest_raw([record_to_document(record, default_id=None)])
    other.store.delete_document("001_78312c3eab1f5132")

    reader.refresh_seconds = 0.0  # another process's writes show at the next refresh
    docs = {p.chunk.doc_id for p in reader.retrieve("Reykjavik glacier survey Hungary", 6)}
    assert docs == {"late-news"}
    assert reader.lexical.search("Hungary", 3) == []


def test_news_retriever_composes_in_a_langchain_chain(sample_services: Services) -> None:
    retriever = NewsRetriever(hybrid=sample_services.retriever, k=3)
    chain = retriever | RunnableLambda(lambda docs: [d.metadata["doc_id"] for d in docs])
    doc_ids = chain.invoke("How many well-trained troops will Ukraine's military have?")
    assert doc_ids[0] == "003_90df2db88ee2fc19" and len(doc_ids) == 3
    [first] = retriever.invoke("Where might Putin and Zelenskiy meet?", k=1)
    text = sample_services.store.get_document(first.metadata["doc_id"]).text  # type: ignore[union-attr]
    assert text[first.metadata["start"] : first.metadata["end"]] == first.page_content
