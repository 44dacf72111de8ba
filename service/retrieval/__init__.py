"""Hybrid retrieval over the article store: BM25 + dense, fused by reciprocal rank."""
