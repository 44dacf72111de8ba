"""Builds newsqa's collaborators once (CLI start-up, app lifespan) and hands them around."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.answer.service import (
    EXTRACTIVE_PASSAGES,
    AnswerService,
    ExtractiveGenerator,
    Generator,
)
from service.config import Settings
from service.ingest.chunk import TokenChunker
from service.ingest.pipeline import Ingestor
from service.ingest.repair import RepairReport, rebuild, rebuild_pending
from service.retrieval.hybrid import HybridRetriever
from service.summary.service import Summarizer, SummaryService
from vectorstore.client import make_chroma_client
from vectorstore.embeddings import Embedder, make_embedder
from vectorstore.health import damage
from vectorstore.lock import WriterLock
from vectorstore.store import ArticleStore

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from service.answer.llm import LLMProbe


@dataclass
class Services:
    settings: Settings
    store: ArticleStore
    embedder: Embedder
    ingestor: Ingestor
    retriever: HybridRetriever
    answerer: AnswerService
    summarizer: SummaryService
    lock: WriterLock | None = None
    repaired: RepairReport | None = None
    llm_probe: "LLMProbe | None" = None
    chat_model: "BaseChatModel | None" = None  # the one client answers and summaries share

    def close(self) -> None:
        if self.lock is not None:
            self.lock.release()


def build_services(
    settings: Settings,
    writer: bool = True,
    embedder: Embedder | None = None,
    check_store: bool = False,
) -> Services:
    """`writer` takes the embedded store's single-writer lock (a Chroma server needs none).

    A writer checks the embedded store in a child process before opening it when the last
    writer was killed, or when `check_store` asks, and rebuilds it if it is damaged (or
    finishes a rebuild that was cut short)."""
    lock = None
    repaired = None
    if writer and not settings.chroma_url:
        lock = WriterLock(settings.data_dir)
        lock.acquire()
    try:
        embedder = embedder or make_embedder(settings)
        if lock is not None:
            found = None
            if check_store or lock.previous_holder_died:
                found = damage(settings.data_dir, settings.collection_prefix)
            if found is not None or rebuild_pending(settings.data_dir):
                repaired = rebuild(settings, embedder, found)
        store = ArticleStore(make_chroma_client(settings), prefix=settings.collection_prefix)
    except BaseException:  # a stop signal too, e.g. while the store is checked
        if lock is not None:
            # A store the last writer left unchecked stays marked for the next one to check.
            lock.release(clean=not lock.previous_holder_died)
        raise
    chunker = TokenChunker(settings.chunk_tokens, settings.chunk_overlap)
    retriever = HybridRetriever(store, embedder)
    store.on_change(retriever.invalidate)
    generator, summary_maker, chat_model = make_generators(settings, retriever)
    summarizer = SummaryService(retriever, summary_maker)
    store.on_change(summarizer.invalidate)
    return Services(
        settings=settings,
        store=store,
        embedder=embedder,
        ingestor=Ingestor(store, embedder, chunker, settings.max_file_bytes),
        retriever=retriever,
        answerer=AnswerService(
            retriever,
            generator,
            top_k=settings.llm_top_k if settings.llm == "openai" else EXTRACTIVE_PASSAGES,
            with_vectors=settings.answer_scorer == "learned",
        ),
        summarizer=summarizer,
        lock=lock,
        repaired=repaired,
        llm_probe=make_probe(settings),
        chat_model=chat_model,
    )


def make_probe(settings: Settings) -> "LLMProbe | None":
    if settings.llm != "openai":
        return None
    from service.answer.llm import LLMProbe

    return LLMProbe(settings)


def make_generators(
    settings: Settings, retriever: HybridRetriever
) -> tuple[Generator, Summarizer, "BaseChatModel | None"]:
    """The answer generator and the summarizer named by NEWSQA_LLM; with an LLM, both share one
    chat client, returned too (its calls are timed for the metrics)."""
    extractive = ExtractiveGenerator()
    if settings.answer_scorer == "learned":
        from service.answer.learned import LearnedSelector

        extractive = ExtractiveGenerator(LearnedSelector())
    if settings.llm == "openai":
        from service.answer.llm import LLMGenerator, make_chat_model
        from service.summary.llm import LLMSummarizer

        chat_model = make_chat_model(settings)
        context = settings.llm_context_tokens
        unverified = settings.llm_unverified
        return (
            LLMGenerator(chat_model, retriever, context, extractive, unverified),
            LLMSummarizer(chat_model, retriever, context_tokens=context),
            chat_model,
        )
    from service.summary.extractive import ExtractiveSummarizer

    return extractive, ExtractiveSummarizer(), None
