"""Which side of a broken trust the person is on, read from what they say (bot/data/position.yml).

The replies that differ by side (repair, forgiveness, boundaries...) vary by the `position` slot
(domain.yml); this fills it without asking whenever the person has already said it, so the one who
cheated is never asked "which side are you on?" after saying "I cheated".
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

FILE = Path(__file__).parent / "data" / "position.yml"
HURT, BROKE_TRUST, FEARFUL, UNCLEAR = "hurt", "broke_trust", "fearful", "unclear"
SIDES = (HURT, BROKE_TRUST, FEARFUL)


@cache
def _rules() -> tuple[dict[str, list[re.Pattern[str]]], re.Pattern[str]]:
    data = yaml.safe_load(FILE.read_text(encoding="utf-8"))
    words = data["words"]
    return (
        {
            side: [re.compile(_fill(pattern, words)) for pattern in data[side]]
            for side in (BROKE_TRUST, HURT, FEARFUL)
        },
        re.compile(data["old_clause"]),
    )


def _fill(pattern: str, words: dict[str, str]) -> str:
    for name, value in words.items():  # not str.format: the patterns hold {0,3} themselves
        pattern = pattern.replace("{" + name + "}", value)
    return pattern


def detect(text: str) -> str | None:
    """hurt, broke_trust or fearful when the text says so; None when it does not."""
    said = " ".join(text.lower().replace("’", "'").split())
    patterns, old_clause = _rules()
    if any(p.search(said) for p in patterns[BROKE_TRUST]):
        return BROKE_TRUST
    if any(p.search(old_clause.sub(" ", said)) for p in patterns[HURT]):
        return HURT
    if any(p.search(said) for p in patterns[FEARFUL]):
        return FEARFUL
    return None
