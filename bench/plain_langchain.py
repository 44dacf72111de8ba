"""The plain LangChain pipeline people start from, as the baseline every figure is measured
against: RecursiveCharacterTextSplitter(1000, 200) → the same all-MiniLM-L6-v2 → Chroma →
similarity search, top 4. No cleaning, no dedup, no lexical index."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import chromadb
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from vectorstore.embeddings import TorchMiniLM


class MiniLMEmbeddings(Embeddings):
    """The same MiniLM weights newsqa uses, behind LangChain's interface, run the way
    HuggingFaceEmbeddings runs them: SentenceTransformer.encode, batches of 32, normalised."""

    def __init__(self, model: TorchMiniLM) -> None:
        self.model = model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, row)) for row in self.model.embed(texts)]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


@dataclass
class PlainIngest:
    seconds: float
    documents: int
    chunks: int


class PlainPipeline:
    def __init__(self, folder: Path, model: TorchMiniLM) -> None:
        # Chroma keeps one system per path for the process; a run after the folder was wiped
        # must not reuse the last run's (it would write to a deleted database).
        SharedSystemClient.clear_system_cache()
        client = chromadb.PersistentClient(
            path=str(folder), settings=ChromaSettings(anonymized_telemetry=False)
        )
        self.store = Chroma(
            client=client, collection_name="plain", embedding_function=MiniLMEmbeddings(model)
        )
        self.splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)

    def ingest(
        self,
        files: list[Path],
        batch: int = 256,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> PlainIngest:
        """Load, split and add every file, as the tutorials do (in batches of documents, so a
        large corpus does not hit Chroma's maximum batch size)."""
        started = time.perf_counter()
        chunks = 0
        for first in range(0, len(files), batch):
            documents = [
                Document(
                    page_content=path.read_text(encoding="utf-8"), metadata={"source": str(path)}
                )
                for path in files[first : first + batch]
            ]
            pieces = self.splitter.split_documents(documents)
            self.store.add_documents(pieces)
            chunks += len(pieces)
            done = min(first + batch, len(files))
            if on_progress and (done % max(batch, len(files) // 10) < batch or done == len(files)):
                on_progress(done, len(files))
        return PlainIngest(time.perf_counter() - started, len(files), chunks)

    def count(self) -> int:
        return int(self.store._collection.count())

    def search(self, question: str) -> list[Document]:
        return self.store.similarity_search(question, k=4)
