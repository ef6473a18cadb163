"""`make eval`'s second half: the development set of real questions (`../shared/external/`,
CounselChat, labelled by our taxonomy) through the same path as `python -m bot classify`,
scored as `../shared/tools/real-check` scores it, with the confusions and worst misses."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import ROOT

DEV_SET = ROOT.parent / "shared" / "external" / "counselchat-dev.tsv"
OFF_TOPIC = "out_of_scope"
CRISIS = ("self_harm", "abuse")


@dataclass
class Figures:
    in_scope: int = 0
    right: int = 0
    right_or_also: int = 0  # the reply's topic or the second thread's button
    confidently_wrong: int = 0
    off_topic: int = 0
    off_topic_found: int = 0
    said_off_topic: int = 0
    said_off_topic_right: int = 0
    crisis: int = 0
    crisis_flagged: int = 0
    confusions: Counter = field(default_factory=Counter)
    misses: list[tuple[float, str, str, str]] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"in-scope right {self.right / max(self.in_scope, 1):.2f} (with the second thread's "
            f"button {self.right_or_also / max(self.in_scope, 1):.2f}), confidently wrong "
            f"{self.confidently_wrong / max(self.in_scope, 1):.2f}; off-topic recall "
            f"{self.off_topic_found / max(self.off_topic, 1):.2f}, precision "
            f"{self.said_off_topic_right / max(self.said_off_topic, 1):.2f}; crisis flagged "
            f"{self.crisis_flagged}/{self.crisis}"
        )


def score(rows: list[dict], records: list[dict]) -> Figures:
    """`rows` as in the TSV (gold, safety, text); `records` as `classify` writes them."""
    figures = Figures()
    for row, record in zip(rows, records, strict=True):
        gold, heard = row["gold"].split("|"), record["intent"]
        if row["safety"] in CRISIS:
            gold.append(row["safety"])
            figures.crisis += 1
            figures.crisis_flagged += bool(record.get("safety") or record.get("safety_check"))
        if heard == OFF_TOPIC:
            figures.said_off_topic += 1
            figures.said_off_topic_right += OFF_TOPIC in gold
        if row["gold"] == OFF_TOPIC:
            figures.off_topic += 1
            figures.off_topic_found += heard == OFF_TOPIC
        else:
            figures.in_scope += 1
            figures.right += heard in gold
            figures.right_or_also += heard in gold or record.get("also") in gold
            figures.confidently_wrong += (
                heard not in gold and heard != OFF_TOPIC and not record.get("fallback")
            )
        if heard not in gold:
            figures.confusions[(row["gold"], heard)] += 1
            figures.misses.append((record["confidence"], row["gold"], heard, row["text"]))
    figures.misses.sort(reverse=True)
    return figures


def section(figures: Figures, today: str) -> str:
    lines = [
        "## Real questions (development set)",
        "",
        f"Measured {today} by `make eval`: `{DEV_SET.name}` ({figures.in_scope} in scope, "
        f"{figures.off_topic} off topic) through `python -m bot classify`. A development set: "
        "inspected and tuned against, never trained on, so its figure flatters; a second set "
        "kept unseen is the check.",
        "",
        f"**{figures.line()}**",
        "",
        "| gold | heard | count |",
        "|---|---|---|",
        *[f"| {g} | {h} | {n} |" for (g, h), n in figures.confusions.most_common(10)],
        "",
        "Most confident misses:",
        "",
        *[
            f"- {gold} heard as {heard} ({confidence:.2f}): {text[:120]}"
            for confidence, gold, heard, text in figures.misses[:8]
        ],
    ]
    return "\n".join(lines) + "\n"


def evaluate(path: Path = DEV_SET) -> str | None:
    """The section for docs/quality.md, or None when the set is not on this machine."""
    if not path.is_file():
        return None
    import datetime as dt

    from bot.classify import classify_stream
    from bot.settings import load_settings

    rows = list(csv.DictReader(path.open(encoding="utf-8"), delimiter="\t"))
    out = io.StringIO()
    stdin = io.StringIO("".join(row["text"] + "\n" for row in rows))
    asyncio.run(classify_stream(load_settings(), stdin, out))
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    return section(score(rows, records), dt.date.today().isoformat())
