"""How the safety screen does on a labelled set: `python -m bot.crisis_eval FILE...`.

A set is a TSV with a header: `category` (self_harm, abuse or none) and `text`, optionally
`urgent` (yes/no); ../shared/external's development set (`safety`, `text`) reads as well. Prints,
per file, the figures issue 11 asks for: crisis reply or ask on crisis rows, crisis reply alone,
with the right category, urgent rows with the emergency number first, and on `none` rows the
crisis replies and the asks.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot import safety


@dataclass(frozen=True)
class Row:
    category: str
    text: str
    urgent: bool = False


def read_set(path: Path) -> list[Row]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    key = "category" if "category" in rows[0] else "safety"
    return [Row(r[key].strip(), r["text"], (r.get("urgent") or "").strip() == "yes") for r in rows]


def figures(rows: list[Row], verdicts: list[safety.Verdict]) -> dict[str, float | int]:
    crisis = [
        (r, v) for r, v in zip(rows, verdicts, strict=True) if r.category in safety.CATEGORIES
    ]
    calm = [v for r, v in zip(rows, verdicts, strict=True) if r.category not in safety.CATEGORIES]
    urgent = [v for r, v in crisis if r.urgent]
    n = max(len(crisis), 1)
    return {
        "crisis": len(crisis),
        "none": len(calm),
        "reply_or_ask": sum(bool(v.crisis or v.ask) for _, v in crisis) / n,
        "reply": sum(bool(v.crisis) for _, v in crisis) / n,
        "right_category": sum(v.crisis == r.category for r, v in crisis) / n,
        "urgent": len(urgent),
        "urgent_first": sum(v.urgent for v in urgent) / max(len(urgent), 1),
        "false_reply": sum(bool(v.crisis) for v in calm) / max(len(calm), 1),
        "false_ask": sum(bool(v.ask) for v in calm) / max(len(calm), 1),
        "helper_reply_on_none": sum(v.category == safety.OTHER for v in calm) / max(len(calm), 1),
    }


def verdicts(rows: list[Row], encode: Callable[[list[str]], np.ndarray] | None):
    return [safety.assess_now(r.text, encode) for r in rows]


def report(name: str, f: dict) -> str:
    return (
        f"{name}: {f['crisis']} crisis, {f['none']} none | reply or ask {f['reply_or_ask']:.3f}, "
        f"reply {f['reply']:.3f}, right category {f['right_category']:.3f}, urgent first "
        f"{f['urgent_first']:.2f} of {f['urgent']} | on none: reply {f['false_reply']:.3f}, "
        f"ask {f['false_ask']:.3f}, helper {f['helper_reply_on_none']:.3f}"
    )


def main(paths: list[str]) -> int:
    from bot.logs import quiet_environment

    quiet_environment()
    from bot.model.encoder import shared_encoder

    encode = shared_encoder().encode_many
    for path in paths:
        rows = read_set(Path(path))
        found = verdicts(rows, encode)
        print(report(Path(path).name, figures(rows, found)), flush=True)
        if "-v" in sys.argv:
            for r, v in zip(rows, found, strict=True):
                wrong = (v.crisis != r.category) if r.category != "none" else (v.tier is not None)
                if wrong:
                    print(f"  {r.category} -> {v.tier}/{v.category}: {r.text[:150]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main([a for a in sys.argv[1:] if not a.startswith("-")]))
