"""The hybrid retriever as a LangChain `BaseRetriever`, so it composes with LangChain chains."""

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from service.retrieval.hybrid import Filters, HybridRetriever


class NewsRetriever(BaseRetriever):
    """Documents carry the chunk text; metadata has doc_id, chunk_id, start, end, title, score."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    hybrid: HybridRetriever
    k: int = 6
    filters: Filters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        passages = self.hybrid.retrieve(query, kwargs.get("k", self.k), self.filters)
        return [
            Document(
                page_content=p.chunk.text,
                id=p.chunk.id,
                metadata={
                    "doc_id": p.chunk.doc_id,
                    "chunk_id": p.chunk.id,
                    "start": p.chunk.start,
                    "end": p.chunk.end,
                    "title": p.chunk.extra.get("title"),
                    "score": p.score,
                },
            )
            for p in passages
        ]
