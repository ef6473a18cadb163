"""A message as people write it: context first, several threads, the point often last.

The crisis detector reads each part so one buried sentence is not outvoted by the story around
it (bot/crisis_model.py); the intent classifier reads each part to find the other threads a
long message touches (bot/model/intent_classifier.py). Both read the same parts, so the
embeddings the screen computes for them are the ones the classifier takes.
"""

from __future__ import annotations

import re

# A sentence longer than this many words (run-on texting without full stops) is read in windows,
# so a clause in the middle of a long ramble is still a unit of its own.
WINDOW_WORDS = 24
WINDOW_STEP = 12
MAX_UNITS = 24  # beyond this a 5,000-character message costs more than it can tell us
# From this many words a message is long: real long questions read as several threads, and a
# topic reply needs more confidence (bot/model/fallback.py).
LONG_WORDS = 30

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s*\n+\s*|(?<=[.!?])(?=[A-Z])")


def units(text: str) -> list[str]:
    """The whole message, then its sentences (long ones as overlapping word windows)."""
    text = text.strip()
    parts: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        words = sentence.split()
        if not words:
            continue
        if len(words) <= WINDOW_WORDS:
            parts.append(" ".join(words))
            continue
        for start in range(0, len(words) - WINDOW_STEP, WINDOW_STEP):
            parts.append(" ".join(words[start : start + WINDOW_WORDS]))
    parts = [p for p in parts if p != text]
    return [text, *parts[: MAX_UNITS - 1]] if parts else [text]


def is_long(text: str) -> bool:
    return len(text.split()) >= LONG_WORDS
