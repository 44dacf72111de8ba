"""An incremental BM25 index over chunks: documents are added and removed without a rebuild.

Sized for 100k+ chunks: each chunk gets an integer slot, postings are packed int32 arrays
(slot, term count) scored with numpy, and a removed chunk is only marked dead; its postings are
dropped by a compaction once dead slots are a quarter of the index.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter

import numpy as np

from service.retrieval.terms import terms

_COMPACT_MIN_DEAD = 1024
_COMPACT_DEAD_SHARE = 0.25


class _Postings:
    __slots__ = ("slots", "counts")

    def __init__(self, slots: bytes = b"", counts: bytes = b"") -> None:
        self.slots = _ints(slots)
        self.counts = _ints(counts)


class BM25Index:
    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._term_ids: dict[str, int] = {}
        self._term_names: list[str] = []
        self._postings: list[_Postings] = []
        self._document_frequency = _ints()
        # One entry per slot; a dead slot has chunk id and terms None.
        self._slot_chunk: list[str | None] = []
        self._slot_terms: list[array[int] | None] = []
        self._slot_length = _ints()
        self._slot_doc = _ints()
        self._slot_alive = array("b")
        self._slots: dict[str, int] = {}
        self._doc_numbers: dict[str, int] = {}
        self._doc_names: list[str] = []
        self._doc_slots: dict[str, set[int]] = {}
        self._total_length = 0
        self._dead = 0

    def __len__(self) -> int:
        return len(self._slots)

    def add(self, chunk_id: str, doc_id: str, text: str) -> None:
        if chunk_id in self._slots:
            self.remove_chunk(chunk_id)
        counts = Counter(terms(text))
        slot = len(self._slot_chunk)
        term_ids = _ints()
        for term, count in counts.items():
            term_id = self._term_id(term)
            term_ids.append(term_id)
            postings = self._postings[term_id]
            postings.slots.append(slot)
            postings.counts.append(count)
            self._document_frequency[term_id] += 1
        length = sum(counts.values())
        self._slot_chunk.append(chunk_id)
        self._slot_terms.append(term_ids)
        self._slot_length.append(length)
        self._slot_doc.append(self._doc_number(doc_id))
        self._slot_alive.append(1)
        self._slots[chunk_id] = slot
        self._doc_slots.setdefault(doc_id, set()).add(slot)
        self._total_length += length

    def _term_id(self, term: str) -> int:
        term_id = self._term_ids.get(term)
        if term_id is None:
            term_id = self._term_ids[term] = len(self._term_names)
            self._term_names.append(term)
            self._postings.append(_Postings())
            self._document_frequency.append(0)
        return term_id

    def _doc_number(self, doc_id: str) -> int:
        number = self._doc_numbers.get(doc_id)
        if number is None:
            number = self._doc_numbers[doc_id] = len(self._doc_names)
            self._doc_names.append(doc_id)
        return number

    def term_set(self, chunk_id: str) -> set[str] | None:
        slot = self._slots.get(chunk_id)
        if slot is None:
            return None
        return {self._term_names[term_id] for term_id in self._slot_terms[slot] or ()}

    def remove_chunk(self, chunk_id: str) -> None:
        slot = self._slots.get(chunk_id)
        if slot is not None:
            self._remove(slot, self._doc_names[self._slot_doc[slot]])
            self._compact_if_worth_it()

    def remove_document(self, doc_id: str) -> None:
        for slot in list(self._doc_slots.get(doc_id, ())):
            self._remove(slot, doc_id)
        self._compact_if_worth_it()

    def _remove(self, slot: int, doc_id: str) -> None:
        chunk_id = self._slot_chunk[slot]
        assert chunk_id is not None
        del self._slots[chunk_id]
        for term_id in self._slot_terms[slot] or ():
            self._document_frequency[term_id] -= 1
        self._slot_chunk[slot] = None
        self._slot_terms[slot] = None
        self._slot_alive[slot] = 0
        self._total_length -= self._slot_length[slot]
        slots = self._doc_slots[doc_id]
        slots.discard(slot)
        if not slots:
            del self._doc_slots[doc_id]
        self._dead += 1

    def _compact_if_worth_it(self) -> None:
        if self._dead >= max(_COMPACT_MIN_DEAD, _COMPACT_DEAD_SHARE * len(self._slot_chunk)):
            self._compact()

    def _compact(self) -> None:
        """Renumber live slots, terms and documents densely; drop dead postings."""
        alive = _view(self._slot_alive, np.int8).astype(bool)
        keep = np.flatnonzero(alive)
        new_slot = np.full(len(alive), -1, dtype=np.int32)
        new_slot[keep] = np.arange(len(keep), dtype=np.int32)
        kept_terms = np.flatnonzero(_view(self._document_frequency) > 0)
        new_term = np.full(len(self._term_names), -1, dtype=np.int32)
        new_term[kept_terms] = np.arange(len(kept_terms), dtype=np.int32)

        postings = []
        for term_id in kept_terms:
            old = self._postings[term_id]
            renumbered = new_slot[_view(old.slots)]
            live = renumbered >= 0
            postings.append(
                _Postings(renumbered[live].tobytes(), _view(old.counts)[live].tobytes())
            )
        self._postings = postings
        self._term_names = [self._term_names[term_id] for term_id in kept_terms]
        self._term_ids = {term: term_id for term_id, term in enumerate(self._term_names)}
        self._document_frequency = _ints(
            np.array([len(p.slots) for p in postings], dtype=np.int32).tobytes()
        )

        live_docs = [self._doc_names[number] for number in _view(self._slot_doc)[keep]]
        self._doc_names = sorted(self._doc_slots)
        self._doc_numbers = {doc_id: number for number, doc_id in enumerate(self._doc_names)}
        self._slot_doc = _ints(
            np.array([self._doc_numbers[d] for d in live_docs], dtype=np.int32).tobytes()
        )
        self._slot_terms = [
            _ints(new_term[_view(self._slot_terms[slot] or _ints())].tobytes()) for slot in keep
        ]
        self._slot_chunk = [self._slot_chunk[slot] for slot in keep]
        self._slot_length = _ints(_view(self._slot_length)[keep].tobytes())
        self._slot_alive = array("b", bytes([1]) * len(keep))
        self._slots = {chunk_id: slot for slot, chunk_id in enumerate(self._slot_chunk) if chunk_id}
        self._doc_slots = {
            doc_id: {int(new_slot[slot]) for slot in slots}
            for doc_id, slots in self._doc_slots.items()
        }
        self._dead = 0

    def _idf(self, df: int) -> float:
        n = len(self._slots)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def document_frequency(self, term: str) -> int:
        term_id = self._term_ids.get(term)
        return 0 if term_id is None else self._document_frequency[term_id]

    def search(
        self, query: str, k: int, allowed_docs: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best k chunks, best first."""
        if not self._slots:
            return []
        average = self._total_length / len(self._slots)
        lengths = _view(self._slot_length)
        scores = np.zeros(len(self._slot_chunk), dtype=np.float64)
        for term in set(terms(query)):
            term_id = self._term_ids.get(term)
            if term_id is None or not self._document_frequency[term_id]:
                continue
            postings = self._postings[term_id]
            slots = _view(postings.slots)
            tf = _view(postings.counts).astype(np.float64)
            norm = self.k1 * (1 - self.b + self.b * lengths[slots] / average)
            # A slot occurs once in a term's postings, so fancy-index += adds each hit once.
            scores[slots] += self._idf(self._document_frequency[term_id]) * (
                tf * (self.k1 + 1) / (tf + norm)
            )
        scores *= _view(self._slot_alive, np.int8)
        if allowed_docs is not None:
            allowed = [self._doc_numbers[d] for d in allowed_docs if d in self._doc_numbers]
            scores *= np.isin(_view(self._slot_doc), allowed)
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k:
            # Every chunk tied with the k-th score stays in, so ties still break by id.
            kth = np.partition(scores[candidates], len(candidates) - k)[len(candidates) - k]
            candidates = candidates[scores[candidates] >= kth]
        ranked = sorted(
            ((self._slot_chunk[slot] or "", float(scores[slot])) for slot in candidates),
            key=lambda item: (-item[1], item[0]),
        )
        return ranked[:k]


def _ints(data: bytes = b"") -> array[int]:
    values = array("i")
    values.frombytes(data)
    return values


def _view(values: array[int], dtype: type[np.generic] = np.int32) -> np.ndarray:
    """A zero-copy numpy view; it must not outlive the call, as an exported array cannot grow."""
    return np.frombuffer(values, dtype=dtype)
