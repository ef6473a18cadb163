"""bot/schedule.py: daily check-in instants across DST, downtime, and choosing a zone.

Expected wall times are checked against zoneinfo independently (does this wall time exist? is
this the first minute after the gap?) rather than against a copy of the module's arithmetic."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.schedule import (
    Occurrence,
    _country_zones,
    after_downtime,
    find_zone,
    local_label,
    next_due,
    skip_today,
    snooze,
    zones_for,
)

DAILY = frozenset(range(7))
WEEKDAYS = frozenset(range(5))
DST_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney"]
ALL_ZONES = [*DST_ZONES, "Asia/Kolkata"]

# The 2026 transitions, per zone: (spring-forward day, a wall time in its gap, the first minute
# after the gap), (fall-back day, a wall time that happens twice).
GAPS = {
    "Europe/Berlin": (date(2026, 3, 29), "02:30", time(3, 0)),
    "America/New_York": (date(2026, 3, 8), "02:30", time(3, 0)),
    "Australia/Sydney": (date(2026, 10, 4), "02:30", time(3, 0)),
}
FOLDS = {
    "Europe/Berlin": (date(2026, 10, 25), "02:30"),
    "America/New_York": (date(2026, 11, 1), "01:30"),
    "Australia/Sydney": (date(2026, 4, 5), "02:30"),
}


def ts(zone: str, y: int, m: int, d: int, hh: int = 0, mm: int = 0, fold: int = 0) -> float:
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(zone), fold=fold).timestamp()


def wall(occ: Occurrence | float, zone: str) -> datetime:
    due = occ.due if isinstance(occ, Occurrence) else occ
    return datetime.fromtimestamp(due, ZoneInfo(zone)).replace(tzinfo=None)


def exists(zone: str, naive: datetime) -> bool:
    """Whether a wall time happens at all in `zone` (it round-trips through UTC)."""
    aware = naive.replace(tzinfo=ZoneInfo(zone))
    return wall(aware.timestamp(), zone) == naive


def walk(zone: str, at: str, days: frozenset[int], year: int = 2026) -> list[Occurrence]:
    """Every occurrence in `year`, found the way the loop finds them: each from the last."""
    found = []
    occ = next_due(ts(zone, year, 1, 1) - 1, zone, at, days)
    while occ.day.year == year:
        assert len(found) <= 366, "next_due does not move on"
        found.append(occ)
        occ = next_due(occ.due, zone, at, days)
    return found


def hhmm(at: str) -> time:
    return time(*map(int, at.split(":")))


# --- a year of days ---------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ALL_ZONES)
@pytest.mark.parametrize("at", ["00:00", "01:30", "02:30", "09:15", "23:59"])
def test_every_day_of_2026_shows_the_chosen_wall_time(zone: str, at: str) -> None:
    occurrences = walk(zone, at, DAILY)
    assert [o.day for o in occurrences] == [
        date(2026, 1, 1) + timedelta(days=i) for i in range(365)
    ]
    for occ in occurrences:
        wanted = datetime.combine(occ.day, hhmm(at))
        shown = wall(occ, zone)
        if exists(zone, wanted):
            assert shown == wanted, occ
            # A doubled wall time counts once, at its first instant.
            assert datetime.fromtimestamp(occ.due, ZoneInfo(zone)).fold == 0, occ
        else:
            # The first valid minute after the gap: later the same day, one minute earlier is
            # still before the gap, and every wall minute in between does not exist.
            assert shown.date() == occ.day and shown > wanted, occ
            assert wall(occ.due - 60, zone) < wanted, occ
            minute = wanted
            while minute < shown:
                assert not exists(zone, minute), (occ, minute)
                minute += timedelta(minutes=1)
    dues = [o.due for o in occurrences]
    assert dues == sorted(set(dues))


@pytest.mark.parametrize("zone", ALL_ZONES)
def test_365_distinct_days_for_each_transition_time(zone: str) -> None:
    for at in {GAPS.get(zone, (None, "02:30"))[1], FOLDS.get(zone, (None, "01:30"))[1]}:
        days = [o.day for o in walk(zone, at, DAILY)]
        assert len(days) == len(set(days)) == 365


# --- the gap and the fold ---------------------------------------------------------------------


@pytest.mark.parametrize("zone", DST_ZONES)
def test_spring_forward_moves_to_the_first_minute_after_the_gap(zone: str) -> None:
    day, at, first_valid = GAPS[zone]
    assert not exists(zone, datetime.combine(day, hhmm(at)))  # the fixture really is a gap
    eve = ts(zone, day.year, day.month, day.day) - 3600
    occ = next_due(eve, zone, at, DAILY)
    assert occ.day == day
    assert wall(occ, zone) == datetime.combine(day, first_valid)
    following = next_due(occ.due, zone, at, DAILY)
    assert following.day == day + timedelta(days=1)
    assert wall(following, zone) == datetime.combine(following.day, hhmm(at))


@pytest.mark.parametrize("zone", DST_ZONES)
def test_fall_back_is_one_occurrence_the_first(zone: str) -> None:
    day, at = FOLDS[zone]
    hh, mm = hhmm(at).hour, hhmm(at).minute
    first = ts(zone, day.year, day.month, day.day, hh, mm, fold=0)
    second = ts(zone, day.year, day.month, day.day, hh, mm, fold=1)
    assert second - first == 3600  # the fixture really is a doubled hour
    eve = ts(zone, day.year, day.month, day.day) - 3600
    occ = next_due(eve, zone, at, DAILY)
    assert occ == Occurrence(day, first)
    # From the first 02:30 (or anywhere up to and past the second) the next is the next day.
    for after in (first, first + 1, second - 1, second, second + 1):
        nxt = next_due(after, zone, at, DAILY)
        assert nxt.day == day + timedelta(days=1), after
        assert wall(nxt, zone) == datetime.combine(nxt.day, hhmm(at))


@pytest.mark.parametrize("zone", DST_ZONES)
def test_transition_days_are_not_skipped_on_a_weekly_schedule(zone: str) -> None:
    for day, at in (GAPS[zone][:2], FOLDS[zone]):
        only_that_weekday = frozenset({day.weekday()})
        occ = next_due(
            ts(zone, day.year, day.month, day.day) - 3 * 86400, zone, at, only_that_weekday
        )
        assert occ.day == day
        assert next_due(occ.due, zone, at, only_that_weekday).day == day + timedelta(days=7)


def test_kolkata_has_no_dst_and_a_half_hour_offset() -> None:
    zone = "Asia/Kolkata"
    occ = next_due(ts(zone, 2026, 6, 1, 10), zone, "09:00", DAILY)
    assert occ.day == date(2026, 6, 2)
    assert occ.due == datetime.fromisoformat("2026-06-02T03:30:00+00:00").timestamp()
    for day in (date(2026, 1, 15), date(2026, 7, 15)):  # the same offset winter and summer
        occ = next_due(ts(zone, day.year, day.month, day.day), zone, "09:00", DAILY)
        assert occ.due - ts("UTC", day.year, day.month, day.day, 9) == -(5 * 3600 + 1800)


# --- days -------------------------------------------------------------------------------------


def test_weekdays_only() -> None:
    zone = "Europe/Berlin"
    days = [o.day for o in walk(zone, "08:00", WEEKDAYS)]
    assert len(days) == 261  # 2026 has 261 weekdays
    assert all(d.weekday() < 5 for d in days)
    # 2026-03-06 is a Friday.
    friday = next_due(ts(zone, 2026, 3, 6, 7), zone, "08:00", WEEKDAYS)
    assert friday.day == date(2026, 3, 6)
    assert next_due(friday.due, zone, "08:00", WEEKDAYS).day == date(2026, 3, 9)


def test_a_chosen_set_of_days() -> None:
    zone = "America/New_York"
    tue_thu_sun = frozenset({1, 3, 6})
    occ = next_due(ts(zone, 2026, 3, 2, 12), zone, "19:45", tue_thu_sun)  # a Monday noon
    seen = []
    for _ in range(6):
        seen.append(occ.day)
        assert wall(occ, zone).time() == time(19, 45)
        occ = next_due(occ.due, zone, "19:45", tue_thu_sun)
    assert seen == [date(2026, 3, d) for d in (3, 5, 8, 10, 12, 15)]


def test_todays_time_already_passed() -> None:
    zone = "Australia/Sydney"
    monday = date(2026, 3, 2)
    before = next_due(ts(zone, 2026, 3, 2, 8, 59), zone, "09:00", DAILY)
    assert before.day == monday
    at_it = next_due(ts(zone, 2026, 3, 2, 9, 0), zone, "09:00", DAILY)
    assert at_it.day == monday + timedelta(days=1)  # strictly after
    later = next_due(ts(zone, 2026, 3, 2, 10), zone, "09:00", DAILY)
    assert later.day == monday + timedelta(days=1)
    mondays_only = next_due(ts(zone, 2026, 3, 2, 10), zone, "09:00", frozenset({0}))
    assert mondays_only.day == monday + timedelta(days=7)


@pytest.mark.parametrize("at", ["9", "24:00", "12:60", "ab:cd", ""])
def test_bad_time_is_refused(at: str) -> None:
    with pytest.raises(ValueError):
        next_due(0.0, "UTC", at, DAILY)


@pytest.mark.parametrize("days", [frozenset(), frozenset({7}), frozenset({-1})])
def test_bad_days_are_refused(days: frozenset[int]) -> None:
    with pytest.raises(ValueError):
        next_due(0.0, "UTC", "09:00", days)


# --- after downtime ---------------------------------------------------------------------------

BERLIN = "Europe/Berlin"


def missed_monday() -> Occurrence:
    return next_due(ts(BERLIN, 2026, 3, 2, 8), BERLIN, "09:00", DAILY)


def test_downtime_inside_the_grace_sends_once_then_the_next_day() -> None:
    missed = missed_monday()
    assert missed.day == date(2026, 3, 2)
    send, nxt = after_downtime(missed.due + 1800, missed, BERLIN, "09:00", DAILY)
    assert send is True
    assert nxt.day == date(2026, 3, 3)
    assert wall(nxt, BERLIN) == datetime(2026, 3, 3, 9, 0)


def test_downtime_outside_the_grace_skips() -> None:
    missed = missed_monday()
    send, nxt = after_downtime(missed.due + 7201, missed, BERLIN, "09:00", DAILY)
    assert send is False
    assert nxt.day == date(2026, 3, 3)


def test_downtime_exactly_at_the_grace_boundary_sends() -> None:
    missed = missed_monday()
    assert after_downtime(missed.due + 7200, missed, BERLIN, "09:00", DAILY)[0] is True
    assert after_downtime(missed.due + 600, missed, BERLIN, "09:00", DAILY, grace=600)[0] is True
    assert after_downtime(missed.due + 601, missed, BERLIN, "09:00", DAILY, grace=600)[0] is False


def test_due_exactly_now_is_sent() -> None:
    missed = missed_monday()
    send, nxt = after_downtime(missed.due, missed, BERLIN, "09:00", DAILY)
    assert send is True and nxt.day == date(2026, 3, 3)


def test_downtime_called_twice_never_sends_a_day_twice() -> None:
    missed = missed_monday()
    now = missed.due + 600
    send, nxt = after_downtime(now, missed, BERLIN, "09:00", DAILY)
    assert send is True
    # Again right away, and after another restart before the next one is due: nothing to send.
    for later in (now, now + 3600, nxt.due - 1):
        again, same = after_downtime(later, nxt, BERLIN, "09:00", DAILY)
        assert (again, same) == (False, nxt)
    # Once the next one is due it is its own day, sent once.
    send, after_that = after_downtime(nxt.due + 5, nxt, BERLIN, "09:00", DAILY)
    assert send is True and after_that.day == nxt.day + timedelta(days=1)


def test_days_long_downtime_sends_at_most_the_latest_one_within_the_grace() -> None:
    missed = missed_monday()
    # Down until Wednesday 10:00: Monday's and Tuesday's are stale, Wednesday's is an hour late.
    now = ts(BERLIN, 2026, 3, 4, 10)
    send, nxt = after_downtime(now, missed, BERLIN, "09:00", DAILY)
    assert send is True and nxt.day == date(2026, 3, 5)
    # Down until Wednesday 12:00: nothing is recent enough; the next is Thursday.
    send, nxt = after_downtime(ts(BERLIN, 2026, 3, 4, 12), missed, BERLIN, "09:00", DAILY)
    assert send is False and nxt.day == date(2026, 3, 5)


def test_downtime_across_the_fold_does_not_resend_the_day() -> None:
    day, at = FOLDS[BERLIN]
    missed = next_due(ts(BERLIN, 2026, 10, 24, 12), BERLIN, at, DAILY)
    assert missed.day == day
    # Back up at the second 02:30: the first was an hour ago; sent once, and the next is Monday.
    send, nxt = after_downtime(missed.due + 3600, missed, BERLIN, at, DAILY)
    assert send is True and nxt.day == day + timedelta(days=1)


# --- skip and snooze --------------------------------------------------------------------------


def test_skip_today_before_todays_time() -> None:
    now = ts(BERLIN, 2026, 3, 2, 7)
    occ = skip_today(now, BERLIN, "09:00", DAILY, today=date(2026, 3, 2))
    assert occ.day == date(2026, 3, 3)
    assert wall(occ, BERLIN) == datetime(2026, 3, 3, 9, 0)


def test_skip_today_respects_the_chosen_days() -> None:
    now = ts(BERLIN, 2026, 3, 6, 7)  # a Friday
    occ = skip_today(now, BERLIN, "09:00", WEEKDAYS, today=date(2026, 3, 6))
    assert occ.day == date(2026, 3, 9)


def test_skip_today_after_todays_time() -> None:
    now = ts(BERLIN, 2026, 3, 2, 22)
    assert skip_today(now, BERLIN, "09:00", DAILY, today=date(2026, 3, 2)).day == date(2026, 3, 3)


def test_skip_today_uses_the_local_date_not_utc() -> None:
    # 00:30 in Sydney on Tuesday is still Monday in UTC; skipping "today" means Tuesday.
    zone = "Australia/Sydney"
    now = ts(zone, 2026, 3, 3, 0, 30)
    assert datetime.fromtimestamp(now, timezone.utc).date() == date(2026, 3, 2)
    occ = skip_today(now, zone, "09:00", DAILY, today=date(2026, 3, 3))
    assert occ.day == date(2026, 3, 4)


def test_snooze() -> None:
    assert snooze(1_000.0) == 1_000.0 + 3600
    assert snooze(1_000.0, minutes=15) == 1_000.0 + 900


# --- labels -----------------------------------------------------------------------------------


def test_local_label() -> None:
    occ = next_due(ts(BERLIN, 2026, 3, 29, 12), BERLIN, "03:00", DAILY)
    assert local_label(occ, BERLIN) == "Mon 30 Mar, 03:00"
    gap_day, at, _ = GAPS[BERLIN]
    shifted = next_due(ts(BERLIN, 2026, 3, 28, 12), BERLIN, at, DAILY)
    assert shifted.day == gap_day
    assert local_label(shifted, BERLIN) == "Sun 29 Mar, 03:00"
    kolkata = next_due(ts("Asia/Kolkata", 2026, 1, 1), "Asia/Kolkata", "07:05", DAILY)
    assert local_label(kolkata, "Asia/Kolkata") == "Thu 1 Jan, 07:05"


# --- zones for a country ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "zone"),
    [("GB", "Europe/London"), ("DE", "Europe/Berlin"), ("IN", "Asia/Kolkata")],
)
def test_one_zone_countries(country: str, zone: str) -> None:
    assert zones_for(country) == [zone]
    assert zones_for(country.lower()) == [zone]


@pytest.mark.parametrize(
    ("country", "zone"),
    [("US", "America/New_York"), ("AU", "Australia/Sydney"), ("CA", "America/Toronto")],
)
def test_several_zone_countries(country: str, zone: str) -> None:
    zones = zones_for(country)
    assert len(zones) > 3 and zone in zones
    assert len(zones) == len(set(zones))
    for name in zones:
        ZoneInfo(name)


def test_zones_are_the_countrys_own() -> None:
    assert "Asia/Tokyo" not in zones_for("AU")  # shares a row with AU in zone1970.tab
    assert zones_for("US")[0] == "America/New_York"  # the table's most populous first
    assert zones_for("DK") == ["Europe/Copenhagen"]  # owns no zone1970.tab row


@pytest.mark.parametrize("junk", ["", "XX", "asdf", "../../etc/passwd", "U", "USA", " "])
def test_unknown_countries(junk: str) -> None:
    assert zones_for(junk) == []


def test_country_table_parsing() -> None:
    zone1970 = (
        "# comment\n"
        "\n"
        "CH,DE,LI\t+4723+00832\tEurope/Zurich\tBüsingen\n"
        "DE,DK\t+5230+01322\tEurope/Berlin\tmost of Germany\n"
        "US\t+404251-0740023\tAmerica/New_York\tEastern (most areas)\n"
        "US\t+415100-0873900\tAmerica/Chicago\tCentral (most areas)\n"
    )
    zone_tab = (
        "DE\t+5230+01322\tEurope/Berlin\n"
        "DE\t+4742+00841\tEurope/Busingen\n"
        "DK\t+5540+01235\tEurope/Copenhagen\n"
    )
    table = _country_zones(zone1970, zone_tab)
    assert table["DE"] == ("Europe/Berlin",)
    assert table["DK"] == ("Europe/Copenhagen",)
    assert table["US"] == ("America/New_York", "America/Chicago")
    assert _country_zones(None, zone_tab)["DE"] == ("Europe/Berlin", "Europe/Busingen")
    assert _country_zones(None, None) == {}


# --- what a person typed ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("  EUROPE/BERLIN ", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("New York", "America/New_York"),
        ("new_york", "America/New_York"),
        ("america/new york", "America/New_York"),
        ("sao paulo", "America/Sao_Paulo"),
        ("São Paulo", "America/Sao_Paulo"),
        ("zürich", "Europe/Zurich"),
        ("port au prince", "America/Port-au-Prince"),
        ("st. john's", "America/St_Johns"),
        ("indianapolis", "America/Indiana/Indianapolis"),
        ("buenos aires", "America/Argentina/Buenos_Aires"),
        ("kolkata", "Asia/Kolkata"),
        ("sydney", "Australia/Sydney"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("GMT", "GMT"),
    ],
)
def test_find_zone(typed: str, zone: str) -> None:
    assert find_zone(typed) == zone
    ZoneInfo(zone)


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "asdf", "../../etc/passwd", "/etc/passwd", "localtime", "EST", "gmt+5", "x" * 500],
)
def test_find_zone_junk(typed: str) -> None:
    assert find_zone(typed) is None
