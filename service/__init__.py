"""newsqa: answers questions about news articles with verbatim, checkable citations."""
