"""Summaries of one article or of a topic across articles, with verbatim citations."""
