"""Article ingestion: loaders, cleaning, sentence-aware token chunking, idempotent storage."""
