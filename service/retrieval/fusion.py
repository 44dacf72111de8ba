"""Reciprocal rank fusion of the dense and lexical rankings, and the near-duplicate test that
keeps one copy of a syndicated or re-posted passage."""


def fused_ranking(dense: list[str], lexical: list[str], rrf_k: int) -> list[tuple[str, float]]:
    """Chunk ids best first with their fused scores: RRF order, except that each ranker's two
    best always make the cut — a passage one ranker is sure of (a rare name, an exact phrase)
    is not lost to the other's noise."""
    fused: dict[str, float] = {}
    for ranking in (dense, lexical):
        for rank, chunk_id in enumerate(ranking, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (rrf_k + rank)
    by_rrf = sorted(fused, key=lambda cid: (-fused[cid], cid))
    heads = sorted(set(dense[:2] + lexical[:2]), key=by_rrf.index)
    return [(cid, fused[cid]) for cid in dict.fromkeys(heads + by_rrf)]


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
