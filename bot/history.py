"""`/history`: a person's last 30 days of check-ins as one picture and two plain sentences.

People open this to see whether things are moving, often tired or low, on a phone. So the
chart is square-ish with big type, and neither the chart nor the words count what did not
happen: a day without a check-in is simply not drawn, never a zero and never a "missed".

The inputs are plain values so the picture and the words can be tested without the database,
Telegram or an event loop. matplotlib is imported inside `chart` (and never `pyplot`, which picks
a GUI backend and keeps global figure state): the bot imports this module at start-up, and most
turns never draw anything.

`python -m bot.history [PATH]` draws sample data into docs/history-sample.png.
"""

from __future__ import annotations

import datetime
import io
import math
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

WINDOW_DAYS = 30
RECENT_DAYS = 7
MIN_CHECKINS_FOR_TREND = 2
# Below this difference of means a week reads as "about the same": on a 1-5 scale a third of a
# point is one answer in three moving by one, which is noise for a person, not a change.
SAME_WITHIN = 0.3
# From a whole point up the change is plain to the person too, and "a little" would understate it.
CLEARLY = 1.0

# Okabe-Ito colours stay apart for the common colour-vision deficiencies; every series also
# differs in marker shape (and line style), so nothing depends on colour alone.
BLUE, ORANGE, VERMILLION, GREEN, GREY = "#0072B2", "#E69F00", "#D55E00", "#009E73", "#8C8C8C"
# English month names whatever the host's locale, so the picture is the same everywhere.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Inches and dots per inch: 840 x 910 px, sharp on a phone and well under Telegram's photo limits.
_DRAWING = threading.Lock()
FIGSIZE, DPI = (6.0, 6.5), 140
DODGE = 0.2


@dataclass(frozen=True)
class Day:
    day: datetime.date
    mood: int | None  # 1-5, the day's check-in (the latest if several), None if none
    steadiness: int | None  # 1-5, "how steady does trust feel today"
    before: float | None  # mean exercise rating before (0-10) that day, None if no exercise
    after: float | None  # mean exercise rating after (0-10)

    @property
    def checked_in(self) -> bool:
        return self.mood is not None or self.steadiness is not None


def window(days: list[Day], today: datetime.date) -> list[Day | None]:
    """The 30 days ending `today`, oldest first, None where there is no row; rows outside the
    window are dropped and a later row for the same date wins (the caller's latest)."""
    first = today - datetime.timedelta(days=WINDOW_DAYS - 1)
    by_date = {d.day: d for d in days if first <= d.day <= today}
    return [by_date.get(first + datetime.timedelta(days=i)) for i in range(WINDOW_DAYS)]


def _label(date: datetime.date) -> str:
    return f"{date.day} {MONTHS[date.month - 1]}"


def _series(slots: list[Day | None], field: str) -> list[float]:
    # NaN, not zero: matplotlib leaves a gap at NaN, so a line only joins consecutive days.
    values = [getattr(d, field) if d is not None else None for d in slots]
    return [math.nan if v is None else float(v) for v in values]


def chart(days: list[Day], today: datetime.date) -> bytes:
    """A PNG of the 30 days ending `today`: mood and steadiness above, exercises below."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    slots = window(days, today)
    xs = list(range(WINDOW_DAYS))
    style = {
        "font.size": 13,
        "axes.labelsize": 14,
        "xtick.labelsize": 13,
        "ytick.labelsize": 13,
        "legend.fontsize": 13,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    # rc_context changes matplotlib's global settings: two charts drawn at once on worker
    # threads would read each other's.
    with _DRAWING, matplotlib.rc_context(style):
        fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
        # The constrained layout leaves the last date label half outside the picture; a wider
        # side margin (inches) keeps it in.
        fig.set_constrained_layout_pads(w_pad=0.2)
        FigureCanvasAgg(fig)
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
        _draw_checkins(top, xs, slots)
        _draw_exercises(bottom, xs, slots)

        # A tick a week, anchored on today so the newest day is always labelled.
        ticks = list(range(WINDOW_DAYS - 1, -1, -RECENT_DAYS))[::-1]
        first = today - datetime.timedelta(days=WINDOW_DAYS - 1)
        bottom.set_xticks(ticks)
        bottom.set_xticklabels([_label(first + datetime.timedelta(days=t)) for t in ticks])
        bottom.set_xlim(-0.8, WINDOW_DAYS - 0.2)

        out = io.BytesIO()
        # No "Software" entry and Agg writes no date, so the same days give the same bytes.
        fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _note(ax, words: str) -> None:
    # Said in the panel, so an empty axis does not look like something failed to load.
    ax.text(
        0.5,
        0.5,
        words,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color="#444444",
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 6},
    )


def _draw_checkins(ax, xs: list[int], slots: list[Day | None]) -> None:
    # Mood and steadiness are often equal; nudged apart by a fifth of a day, both stay visible.
    ax.plot(
        [x - DODGE for x in xs],
        _series(slots, "mood"),
        color=BLUE,
        marker="o",
        markersize=8,
        linewidth=2.5,
        label="Mood",
        zorder=3,
    )
    ax.plot(
        [x + DODGE for x in xs],
        _series(slots, "steadiness"),
        color=ORANGE,
        marker="s",
        markersize=7,
        linewidth=2.5,
        linestyle=(0, (4, 2)),
        label="Trust feels steady",
    )
    ax.set_ylim(0.5, 5.5)
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.set_ylabel("Check-ins (1–5)")
    ax.grid(axis="y", color="#DDDDDD", linewidth=1)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False, borderaxespad=0)
    if not any(d is not None and d.checked_in for d in slots):
        _note(ax, "No check-ins here yet.\n/checkin starts one.")


def _draw_exercises(ax, xs: list[int], slots: list[Day | None]) -> None:
    before, after = _series(slots, "before"), _series(slots, "after")
    for x, b, a in zip(xs, before, after, strict=True):
        if not (math.isnan(b) or math.isnan(a)):
            ax.plot([x, x], [b, a], color=GREY, linewidth=2.5, zorder=1)
    # No lines between days: exercises are separate events, and a line would suggest a trend.
    marks = {"linestyle": "none", "markersize": 8}
    ax.plot(xs, before, marker="o", color=VERMILLION, label="Before", zorder=2, **marks)
    ax.plot(xs, after, marker="D", color=GREEN, label="After", zorder=3, **marks)
    ax.set_ylim(-0.8, 10.8)
    ax.set_yticks([0, 5, 10])
    ax.set_ylabel("Exercise (0–10)")
    ax.grid(axis="y", color="#DDDDDD", linewidth=1)
    if all(math.isnan(v) for v in before + after):
        _note(ax, "No exercises in these 30 days")
        ax.set_yticks([])
        ax.set_ylabel("")
    else:
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False, borderaxespad=0)


def _mean(values: list[int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _enough(values: list[int | None]) -> bool:
    return sum(v is not None for v in values) >= MIN_CHECKINS_FOR_TREND


def _direction(recent: float, earlier: float) -> str:
    diff = recent - earlier
    if abs(diff) < SAME_WITHIN:
        return "about the same"
    word = "higher" if diff > 0 else "lower"
    return word if abs(diff) >= CLEARLY else f"a little {word}"


def summary(days: list[Day], today: datetime.date) -> str:
    """How many of the 30 days had a check-in, the averages, and this week against the weeks
    before: plain words, one decimal, nothing about the days without one."""
    slots = [d for d in window(days, today) if d is not None and d.checked_in]
    if not slots:
        return "There are no check-ins here yet. Whenever you like, /checkin starts one."

    parts = []
    mood = _mean([d.mood for d in slots])
    steady = _mean([d.steadiness for d in slots])
    if mood is not None:
        parts.append(f"Mood averaged {mood:.1f}")
    if steady is not None:
        parts.append(f"trust felt steady at {steady:.1f} on average")
    averages = ", ".join(parts)
    lines = [
        f"You checked in on {len(slots)} of the last {WINDOW_DAYS} days. "
        f"{averages[0].upper()}{averages[1:]}."
    ]

    cut = today - datetime.timedelta(days=RECENT_DAYS - 1)
    recent = [d for d in slots if d.day >= cut]
    earlier = [d for d in slots if d.day < cut]
    moves = {}
    for name, field in (("mood", "mood"), ("trust steadiness", "steadiness")):
        new = [getattr(d, field) for d in recent]
        old = [getattr(d, field) for d in earlier]
        if _enough(new) and _enough(old):
            moves[name] = _direction(_mean(new), _mean(old))
    if len(moves) == 2 and len(set(moves.values())) == 1:
        said = f"both have been {moves['mood']}"
    else:
        said = " and ".join(f"{name} has been {move}" for name, move in moves.items())
    if moves:
        lines.append(f"Compared with the weeks before, {said} this past week.")
    return "\n".join(lines)


def sample_days(today: datetime.date) -> list[Day]:
    """Thirty days as a person might really leave them: gaps, a dip mid-month that eases, and a
    few exercises that took the edge off. For docs/history-sample.png and the tests."""
    # (days ago, mood, steadiness, before, after); days not listed had no check-in.
    rows = [
        (29, 3, 2, None, None),
        (28, 3, 3, None, None),
        (26, 3, 2, 7.0, 4.0),
        (25, 4, 3, None, None),
        (24, 3, 3, None, None),
        (21, 3, 2, None, None),
        (20, 2, 2, 8.0, 5.5),
        (19, 2, 1, None, None),
        (18, 1, 1, 9.0, 6.0),
        (16, 2, 2, None, None),
        (15, 2, 2, 6.5, 4.5),
        (13, 3, 2, None, None),
        (12, 3, 3, None, None),
        (10, 3, 3, 5.0, 3.0),
        (8, 4, 3, None, None),
        (7, 3, 3, None, None),
        (5, 4, 3, None, None),
        (4, 4, 4, 4.0, 2.5),
        (2, 4, 3, None, None),
        (1, 5, 4, None, None),
        (0, 4, 4, None, None),
    ]
    return [
        Day(today - datetime.timedelta(days=ago), mood, steady, before, after)
        for ago, mood, steady, before, after in rows
    ]


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent
    path = Path(argv[0]) if argv else root / "docs" / "history-sample.png"
    # A fixed date, so regenerating the sample gives the same file.
    today = datetime.date(2025, 3, 14)
    days = sample_days(today)
    path.write_bytes(chart(days, today))
    print(path)
    print(summary(days, today))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
