"""Helplines by country (bot/data/helplines.yml), formatted for a crisis reply."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

HELPLINES_FILE = Path(__file__).resolve().parent / "data" / "helplines.yml"
KINDS = ("crisis", "abuse")


@cache
def _data() -> dict:
    return yaml.safe_load(HELPLINES_FILE.read_text(encoding="utf-8"))


def countries() -> dict[str, str]:
    """ISO code -> country name, for the countries we have verified lines for."""
    return {code: entry["name"] for code, entry in _data()["countries"].items()}


def entry(country: str | None) -> dict:
    """The country's entry, or the international fallback (directories, no emergency number)."""
    return _data()["countries"].get((country or "").upper(), _data()["fallback"])


def known(country: str | None) -> bool:
    return (country or "").upper() in _data()["countries"]


def describe(line: dict) -> str:
    ways = []
    if line.get("phone"):
        ways.append(f"call {line['phone']}")
    if line.get("text"):
        text = line["text"]
        ways.append(text if text.lower().startswith("text") else f"text {text}")
    if line.get("url"):
        ways.append(line["url"])
    hours = f" ({line['hours']})" if line.get("hours") else ""
    return f"• {line['name']}: {', '.join(ways)}{hours}"


def lines(kind: str, country: str | None) -> list[str]:
    return [describe(line) for line in entry(country)[kind]]


def emergency(country: str | None) -> str | None:
    return entry(country).get("emergency")
