"""Counts in words: `1 session`, `2 sessions`, never `session(s)`."""

from __future__ import annotations


def count_of(count: int, word: str, plural: str | None = None) -> str:
    """`count` and `word`, in the singular for exactly one, else in the plural (`word` + s
    unless given)."""
    return f"{count} {word if count == 1 else plural or word + 's'}"
