"""Small helpers for sentences built from data: lists that read as English, first-letter capitals."""

from __future__ import annotations


def join_words(items, word: str = "and") -> str:
    """["a", "b", "c"] → "a, b and c": lists in generated prose read as English."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def capitalise(text: str) -> str:
    """Upper-case the first letter only (unlike str.capitalize, keeps "Covid-19" and "ONS")."""
    return text[:1].upper() + text[1:]


