"""Answering questions from retrieved article passages."""
