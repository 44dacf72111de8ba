"""Storage for newsqa: the Chroma client, the embedders and the article store."""
