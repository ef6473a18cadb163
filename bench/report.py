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


COLUMNS = (
    ("ours", "ours, as deployed"),
    ("ours_unlimited", "ours, limiter off"),
    ("theirs", "rasa run + bridge"),
)


def _window(results: dict, system: str, name: str) -> dict:
    return (results["load"].get(system) or {}).get("windows", {}).get(name) or {}


def targets(results: dict) -> list[tuple[str, bool | None, str]]:
    """(target, met, the figure it was judged on); met is None when not measured."""
    load = results["load"]
    ours, unlimited, theirs = (load.get(key) or {} for key, _ in COLUMNS)
    checks = []

    def check(name: str, value, ok, digits: int = 1) -> None:
        checks.append((name, None if value is None else bool(ok(value)), _fmt(value, digits)))

    def ratio(a, b):
        return a / b if a and b else None

    for key, label in COLUMNS[:2]:
        at20 = _window(results, key, "20/s")
        check(f"p50 ≤ 35 ms at 20/s ({label})", at20.get("p50_ms"), lambda v: v <= 35)
        check(f"p99 ≤ 120 ms at 20/s ({label})", at20.get("p99_ms"), lambda v: v <= 120)
    check("sustained ≥ 40 messages/s (limiter off)", unlimited.get("sustained_rate"), _ge(40))
    check(
        "throughput ≥ 1.5× rasa run (flat out, limiter off)",
        ratio(
            (unlimited.get("flat_out") or {}).get("throughput"),
            (theirs.get("flat_out") or {}).get("throughput"),
        ),
        _ge(1.5),
        2,
    )
    their20 = _window(results, "theirs", "20/s").get("p50_ms")
    for key, label in COLUMNS[:2]:
        check(
            f"p50 ≤ ½ of rasa run's at 20/s ({label})",
            ratio(_window(results, key, "20/s").get("p50_ms"), their20),
            lambda v: v <= 0.5,
            2,
        )
    screen = (results.get("nlu_speed") or {}).get("safety_screen_detector") or {}
    check(
        "safety screen with detector p99 ≤ 5 ms (on the loop)",
        screen.get("p99_ms"),
        lambda v: v <= 5,
        2,
    )
    startup = results.get("startup", {}).get("ours", {})
    check("first reply ≤ 25 s after start", startup.get("first model reply"), lambda v: v <= 25)
    peaks = [x.get("peak_rss_mib") for x in (ours, unlimited) if x.get("peak_rss_mib")]
    check(
        "peak RSS ≤ 1.2 GB (MiB)", max(peaks) if peaks else None, lambda v: v * 1.048576 <= 1200, 0
    )
    nudges = results.get("nudges", {}).get("limiter_on", {})
    check("nudges ≥ 28/s with the limiter on", nudges.get("steady_rate"), _ge(28))
    return checks


def _ge(bound: float):
    return lambda value: value >= bound


def table(results: dict) -> str:
    load = results["load"]
    systems = [load.get(key) or {} for key, _ in COLUMNS]
    rows = [("", *(label for _, label in COLUMNS), "limiter off / rasa run")]

    def row(label: str, cells: list[str], ratio: str = "") -> None:
        rows.append((label, *cells, ratio))

    names = []
    for system in systems:
        names += [n for n in (system.get("windows") or {}) if n not in names]
    names.sort(key=lambda n: float(n.split("/")[0]))
    for name in names:
        windows = [(s.get("windows") or {}).get(name) for s in systems]
        unl, their = windows[1], windows[2]
        row(
            f"latency p50 / p95 / p99 at {name} (ms)",
            [_lat(w) for w in windows],
            f"p50 {_ratio(unl and unl['p50_ms'], their and their['p50_ms'])}",
        )
    at20 = [(s.get("windows") or {}).get("20/s") for s in systems]
    if any(at20):
        row(
            "sendMessage calls a second at 20/s",
            [_fmt(w and w.get("sends_per_second"), 1) for w in at20],
        )
    flats = [s.get("flat_out") for s in systems]
    if any(flats):
        tput = [f and f["throughput"] for f in flats]
        row(
            f"flat out, {load['concurrency']} in flight: messages/s",
            [_fmt(t, 1) for t in tput],
            _ratio(tput[1], tput[2]),
        )
        row("flat out: latency p50 / p95 / p99 (ms)", [_lat(f) for f in flats])
    sustained = [s.get("sustained_rate") for s in systems]
    row(
        "max sustained rate, p99 < 500 ms (messages/s)",
        [_fmt(v) for v in sustained],
        _ratio(sustained[1], sustained[2]),
    )
    startup = results.get("startup", {})
    row(
        "first reply after start (s; rasa run's loaded beside our limiter-off bot)",
        [_fmt(startup.get(key, {}).get("first model reply"), 1) for key, _ in COLUMNS],
    )
    peaks = [s.get("peak_rss_mib") for s in systems]
    cells = [_fmt(v) for v in peaks]
    if peaks[2]:
        cells[2] += f" (+ bridge {_fmt(systems[2].get('bridge_peak_rss_mib'))})"
    row("peak RSS under load (MiB)", cells, _ratio(peaks[1], peaks[2]))
    training = results.get("training") or {}
    row("full train (s)", [_fmt(training.get("full_train_seconds"), 1), "", ""])
    row("no-change retrain (s)", [_fmt(training.get("no_change_seconds"), 1), "", ""])
    nudges = results.get("nudges") or {}
    on, off = nudges.get("limiter_on", {}), nudges.get("limiter_off", {})
    if on:
        share = on.get("share_of_cap")
        row(
            f"nudges, {on['users']:,} due: messages/s (cap 30)",
            [
                f"{_fmt(on.get('steady_rate'), 1)} ({_fmt(share and share * 100)}% of cap)",
                _fmt(off.get("rate"), 1),
                "",
            ],
        )
    speed = results.get("nlu_speed") or {}
    for key, label in (
        ("safety_screen", "safety screen, rules alone"),
        ("safety_screen_detector", "safety screen with detector, on the loop"),
        ("safety_screen_end_to_end", "safety screen with detector and its embeddings"),
        ("nlu_parse", "NLU parse alone"),
        ("turn_in_memory_trackers", "whole turn, in-memory trackers"),
        ("turn_sqlite_trackers", "whole turn, our SQLite trackers"),
    ):
        if key in speed:
            figure = speed[key]
            row(
                f"{label}: messages/s (mean ms)",
                [f"{_fmt(figure['per_second'], 1)} ({figure['mean_ms']:.1f})", "", ""],
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for index, cells in enumerate(rows):
        lines.append(
            "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"
        )
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


def write(results: dict) -> None:
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    if not DOC.is_file():
        return
    old = DOC.read_text(encoding="utf-8")
    start, end = old.find(BEGIN), old.find(END)
    if start < 0 or end < 0:
        return
    section = f"{BEGIN}\n{render(results)}{END}"
    DOC.write_text(old[:start] + section + old[end + len(END) :], encoding="utf-8")
