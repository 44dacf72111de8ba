"""Evaluation harness: gold Q&A sets, named scorers and a regression gate."""
