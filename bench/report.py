"""The one table `make bench` prints, the targets it checks, bench/results.json, and the
figures section of docs/performance.md (the method and findings around it are written by hand)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

from bot.settings import ROOT

RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def machine() -> dict:
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }


def _fmt(value, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _ratio(ours, theirs, digits: int = 2) -> str:
    if not ours or not theirs:
        return "–"
    return f"{ours / theirs:.{digits}f}×"


def _lat(window: dict | None) -> str:
    if not window:
        return "–"
    return f"{_fmt(window['p50_ms'])} / {_fmt(window['p95_ms'])} / {_fmt(window['p99_ms'])}"


def targets(results: dict) -> list[tuple[str, bool | None, str]]:
    """(target, met, the figure it was judged on); met is None when not measured."""
    ours, theirs = results["load"]["ours"], results["load"].get("theirs") or {}
    at20 = ours["windows"].get("20/s") or {}
    their20 = theirs.get("windows", {}).get("20/s") or {}
    checks = []

    def check(name: str, value, ok) -> None:
        checks.append((name, None if value is None else bool(ok(value)), _fmt(value, 1)))

    check("p50 ≤ 35 ms at 20/s", at20.get("p50_ms"), lambda v: v <= 35)
    check("p99 ≤ 120 ms at 20/s", at20.get("p99_ms"), lambda v: v <= 120)
    check("sustained ≥ 40 messages/s", ours.get("sustained_rate"), lambda v: v >= 40)
    flat, their_flat = ours.get("flat_out", {}), theirs.get("flat_out", {})
    if flat and their_flat:
        check(
            "throughput ≥ 1.5× rasa run",
            flat["throughput"] / their_flat["throughput"],
            lambda v: v >= 1.5,
        )
    if at20 and their20:
        check("p50 ≤ ½ of rasa run at 20/s", at20["p50_ms"] / their20["p50_ms"], lambda v: v <= 0.5)
    startup = results.get("startup", {}).get("ours", {})
    check("first reply ≤ 25 s after start", startup.get("first model reply"), lambda v: v <= 25)
    check("peak RSS ≤ 1.2 GB", ours.get("peak_rss_mib"), lambda v: v * 1.048576 <= 1200)
    nudges = results.get("nudges", {}).get("limiter_on", {})
    check("nudges ≥ 28/s with the limiter on", nudges.get("steady_rate"), lambda v: v >= 28)
    return checks


def table(results: dict) -> str:
    load = results["load"]
    ours, theirs = load["ours"], load.get("theirs") or {"windows": {}}
    rows = [("", "ours", "rasa run + bridge", "ours/theirs")]
    for name, window in ours["windows"].items():
        their = theirs["windows"].get(name)
        rows.append(
            (
                f"latency p50 / p95 / p99 at {name} (ms)",
                _lat(window),
                _lat(their),
                f"p50 {_ratio(window['p50_ms'], their and their['p50_ms'])}",
            )
        )
    flat, their_flat = ours.get("flat_out"), theirs.get("flat_out")
    if flat:
        rows.append(
            (
                f"flat out, {load['concurrency']} in flight: messages/s",
                _fmt(flat["throughput"], 1),
                _fmt(their_flat and their_flat["throughput"], 1),
                _ratio(flat["throughput"], their_flat and their_flat["throughput"]),
            )
        )
        rows.append(("flat out: latency p50 / p95 / p99 (ms)", _lat(flat), _lat(their_flat), ""))
    rows.append(
        (
            "max sustained rate, p99 < 500 ms (messages/s)",
            _fmt(ours.get("sustained_rate")),
            _fmt(theirs.get("sustained_rate")),
            _ratio(ours.get("sustained_rate"), theirs.get("sustained_rate")),
        )
    )
    startup = results.get("startup", {})
    rows.append(
        (
            "first reply after start (s)",
            _fmt(startup.get("ours", {}).get("first model reply"), 1),
            _fmt(startup.get("theirs", {}).get("first model reply"), 1),
            "",
        )
    )
    their_rss = theirs.get("peak_rss_mib")
    rows.append(
        (
            "peak RSS under load (MiB)",
            _fmt(ours.get("peak_rss_mib")),
            f"{_fmt(their_rss)} (+ bridge {_fmt(theirs.get('bridge_peak_rss_mib'))})"
            if their_rss
            else "–",
            _ratio(ours.get("peak_rss_mib"), their_rss),
        )
    )
    training = results.get("training") or {}
    rows.append(("full train (s)", _fmt(training.get("full_train_seconds"), 1), "", ""))
    rows.append(("no-change retrain (s)", _fmt(training.get("no_change_seconds"), 1), "", ""))
    nudges = results.get("nudges") or {}
    on, off = nudges.get("limiter_on", {}), nudges.get("limiter_off", {})
    if on:
        rows.append(
            (
                f"nudges, limiter on: messages/s (cap 30; {on['users']:,} due)",
                f"{_fmt(on.get('steady_rate'), 1)} ({_fmt(on.get('share_of_cap', 0) * 100)}%)",
                "",
                "",
            )
        )
        rows.append(("nudges, limiter off: messages/s", _fmt(off.get("rate"), 1), "", ""))
    speed = results.get("nlu_speed") or {}
    for key, label in (
        ("safety_screen", "safety screen alone"),
        ("nlu_parse", "NLU parse alone"),
        ("turn_in_memory_trackers", "whole turn, in-memory trackers"),
        ("turn_sqlite_trackers", "whole turn, our SQLite trackers"),
    ):
        if key in speed:
            figure = speed[key]
            rows.append(
                (
                    f"{label}: messages/s (mean ms)",
                    f"{_fmt(figure['per_second'], 1)} ({figure['mean_ms']:.1f})",
                    "",
                    "",
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def targets_text(results: dict) -> str:
    marks = {True: "met", False: "MISSED", None: "not measured"}
    return "\n".join(f"- {name}: {figure} — {marks[met]}" for name, met, figure in targets(results))


def heading(results: dict) -> str:
    m = results["machine"]
    return (
        f"Measured {results['date']} on this machine: {m['cores']} cores ({m['cpu']}), "
        f"{m['memory_gib']} GiB memory, load average {m['load_average_at_start'][0]} at start "
        f"(shared with other work). `make bench` took {results['wall_seconds'] / 60:.1f} min."
    )


def render(results: dict) -> str:
    return f"{heading(results)}\n\n{table(results)}\n\nTargets:\n\n{targets_text(results)}\n"


def write(results: dict, update_doc: bool = True) -> None:
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    if not update_doc or not DOC.is_file():
        return
    old = DOC.read_text(encoding="utf-8")
    start, end = old.find(BEGIN), old.find(END)
    if start < 0 or end < 0:
        return
    section = f"{BEGIN}\n{render(results)}{END}"
    DOC.write_text(old[:start] + section + old[end + len(END) :], encoding="utf-8")
