"""What an ingest run did, item by item: what the CLI prints, the API returns and metrics count."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True)
class ItemResult:
    source: str
    outcome: Outcome
    doc_id: str | None = None
    chunks: int = 0
    error: str | None = None
    label: str | None = None


@dataclass
class IngestReport:
    results: list[ItemResult] = field(default_factory=list)
    chunks_embedded: int = 0
    sentences_embedded: int = 0
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        tally = Counter(result.outcome for result in self.results)
        return {outcome.value: tally.get(outcome, 0) for outcome in Outcome}

    @property
    def failed(self) -> list[ItemResult]:
        return [result for result in self.results if result.outcome is Outcome.FAILED]

    def summary(self) -> str:
        counts = self.counts
        return (
            f"added {counts['added']}, updated {counts['updated']}, "
            f"unchanged {counts['unchanged']}, failed {counts['failed']} "
            f"({self.chunks_embedded} chunks embedded, from {self.sentences_embedded} sentences, "
            f"in {self.seconds:.1f}s)"
        )


ProgressCallback = Callable[[ItemResult], None]
