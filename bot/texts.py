"""User-facing texts kept as data (bot/data/messages.yml), loaded once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def messages() -> dict[str, str]:
    with open(DATA_DIR / "messages.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def text(key: str) -> str:
    return messages()[key]


@cache
def topics() -> dict[str, str]:
    """Intent -> button title, for the topics offered when the bot is unsure."""
    with open(DATA_DIR / "topics.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)
