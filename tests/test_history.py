"""/history: the chart is a phone-sized PNG whatever the data, and the words count kindly."""

from __future__ import annotations

import datetime
import io
import subprocess
import sys

import pytest

from bot.history import Day, chart, sample_days, summary
from bot.settings import ROOT

TODAY = datetime.date(2025, 3, 14)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def checkin(days_ago: int, mood: int | None, steadiness: int | None = None) -> Day:
    return Day(ago(days_ago), mood, steadiness, None, None)


def pixels(png: bytes):
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(png), format="png")


FULL_MONTH = [Day(ago(i), 1 + i % 5, 5 - i % 5, 8.0 - i % 3, 4.0) for i in range(30)]
NO_EXERCISES = [checkin(i, 3, 2) for i in range(0, 30, 2)]
CASES = {
    "no data": [],
    "one day": [checkin(0, 4, 3)],
    "30 full days": FULL_MONTH,
    "no exercises": NO_EXERCISES,
    "sample": sample_days(TODAY),
    # Rows outside the window and half-filled exercise rows must not break the drawing.
    "odd rows": [checkin(40, 2), checkin(-1, 5), Day(ago(3), None, None, 6.0, None)],
}


@pytest.mark.parametrize("days", CASES.values(), ids=CASES.keys())
def test_chart_is_a_phone_sized_png(days):
    png = chart(days, TODAY)
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) < 200_000
    height, width = pixels(png).shape[:2]
    assert 600 <= width <= 1400 and 600 <= height <= 1400
    assert height >= width  # portrait or square, never a wide strip on a phone


def test_chart_is_deterministic():
    # The same days give the same bytes: no timestamp or version baked into the file.
    first, second = chart(sample_days(TODAY), TODAY), chart(sample_days(TODAY), TODAY)
    assert first == second
    assert b"Software" not in first and b"tIME" not in first


def test_chart_depends_on_the_data():
    assert chart(FULL_MONTH, TODAY) != chart(NO_EXERCISES, TODAY) != chart([], TODAY)


def test_summary_counts_and_averages():
    days = [checkin(0, 4, 3), checkin(3, 3, 2), checkin(10, 2, 2), checkin(29, 5, None)]
    days.append(checkin(30, 1, 1))  # a day before the window is not counted
    days.append(Day(ago(5), None, None, 7.0, 3.0))  # an exercise alone is not a check-in
    first = summary(days, TODAY).splitlines()[0]
    assert first == (
        "You checked in on 4 of the last 30 days. "
        "Mood averaged 3.5, trust felt steady at 2.3 on average."
    )


def test_summary_without_steadiness_answers_still_reads():
    text = summary([checkin(0, 4), checkin(1, 3)], TODAY)
    assert text == "You checked in on 2 of the last 30 days. Mood averaged 3.5."


def trend(recent: tuple[int, int], earlier: tuple[int, int]) -> str:
    """The trend line for two check-ins this week at `recent` and two before at `earlier`."""
    days = [checkin(1, *recent), checkin(4, *recent), checkin(12, *earlier), checkin(20, *earlier)]
    lines = summary(days, TODAY).splitlines()
    assert len(lines) == 2
    return lines[1]


def test_trend_higher_lower_and_same():
    assert trend((3, 3), (2, 2)) == (
        "Compared with the weeks before, both have been higher this past week."
    )
    assert "both have been a little higher" in summary(
        [checkin(0, 3, 3), checkin(1, 4, 4), checkin(9, 3, 3), checkin(15, 3, 3)], TODAY
    )
    assert "both have been a little lower" in summary(
        [checkin(0, 3, 3), checkin(1, 3, 3), checkin(9, 4, 4), checkin(15, 3, 3)], TODAY
    )
    assert "both have been about the same" in trend((3, 3), (3, 3))
    assert trend((4, 2), (2, 3)) == (
        "Compared with the weeks before, mood has been higher "
        "and trust steadiness has been lower this past week."
    )
    mixed = trend((4, 2), (2, 2))
    assert "mood has been higher" in mixed and "trust steadiness has been about the same" in mixed


def test_trend_needs_two_checkins_on_each_side():
    # One check-in this week: too little to call a direction, so no trend line at all.
    days = [checkin(0, 5, 5), checkin(10, 2, 2), checkin(11, 2, 2), checkin(20, 2, 2)]
    assert len(summary(days, TODAY).splitlines()) == 1
    # Only the last seven days: nothing to compare with.
    days = [checkin(i, 3, 3) for i in range(7)]
    assert len(summary(days, TODAY).splitlines()) == 1


def test_trend_week_boundary():
    # Six days ago is "this past week"; seven days ago is the weeks before.
    days = [checkin(6, 4, 4), checkin(0, 4, 4), checkin(7, 2, 2), checkin(8, 2, 2)]
    assert "both have been higher" in summary(days, TODAY)


def test_empty_summary_is_one_kind_line():
    for days in ([], [checkin(31, 3, 3)], [Day(ago(2), None, None, 6.0, 2.0)]):
        text = summary(days, TODAY)
        assert "\n" not in text and "/checkin" in text


@pytest.mark.parametrize("days", CASES.values(), ids=CASES.keys())
def test_no_guilt(days):
    text = summary(days, TODAY).lower()
    for word in ("missed", "miss ", "only", "failed", "should"):
        assert word not in text


def test_importing_does_not_load_pyplot():
    code = (
        "import sys, datetime\n"
        "import bot.history as h\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported at import time'\n"
        "h.chart(h.sample_days(datetime.date(2025, 3, 14)), datetime.date(2025, 3, 14))\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'chart imported pyplot'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
