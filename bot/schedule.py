"""When a daily check-in is due: a person's wall-clock time in their own zone, on the days they
chose, turned into UTC instants the nudge loop can compare with the clock.

Pure functions, standard library only: the store keeps `Occurrence.due` (UTC) and `.day` (the
local date it is for), and the loop asks here for the next one after it has sent or skipped one.

Why this is more than `date + time`:

- Daylight saving time. On a spring-forward day a wall time in the gap does not exist (02:30 in
  Berlin on 2026-03-29); the nudge goes at the first minute that does (03:00), rather than an hour
  late or not at all. On a fall-back day a wall time happens twice (02:30 in Berlin on
  2026-10-25); only the first counts.
- Never two nudges for one occurrence. An occurrence is named by its local `day`, and each chosen
  day has exactly one due instant, so walking `next_due` from one occurrence to the next can
  neither repeat a day (the second 02:30 of a fall-back night) nor skip one (a day whose time fell
  in a gap). After downtime the missed one is sent at most once and the next is always a later day.
- Choosing a zone. People know their country or city, not IANA names: `zones_for` lists a
  country's zones from the tz database's own tables, and `find_zone` reads what was typed.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

__all__ = [
    "Occurrence",
    "after_downtime",
    "find_zone",
    "local_label",
    "next_due",
    "skip_today",
    "snooze",
    "zones_for",
]

DEFAULT_GRACE = 7200.0

# Past this many days with nothing chosen the arguments are wrong (days is validated to be
# non-empty, so a week always holds one); the margin covers a calendar day a zone skipped outright.
_SEARCH_DAYS = 15

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Occurrence:
    """One check-in: `day` is the person's local date it is for (its identity: at most one nudge
    per day), `due` the UTC POSIX timestamp it goes out at."""

    day: date
    due: float


def _parse_at(at: str) -> time:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", at)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"check-in time must be HH:MM, got {at!r}")
    return time(int(match[1]), int(match[2]))


def _check_days(days: frozenset[int]) -> None:
    if not days or not all(isinstance(d, int) and 0 <= d <= 6 for d in days):
        raise ValueError(f"days must be a non-empty set of 0 (Monday) … 6 (Sunday), got {days!r}")


def _wall(ts: float, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ts, tz).replace(tzinfo=None)


def _due_on(day: date, at: time, tz: ZoneInfo) -> float:
    """The one UTC instant for `at` on local `day`."""
    naive = datetime.combine(day, at)
    # fold=0 is the earlier of two instants on a fall-back night: one occurrence, the first.
    first = naive.replace(tzinfo=tz).timestamp()
    if _wall(first, tz) == naive:
        return first
    # In a gap Python maps fold=1 to the offset after the change (an instant before it) and fold=0
    # to the offset before (an instant after it). The change lies between; the first valid wall
    # minute after the gap is that instant, found by bisection because zoneinfo does not expose
    # its transitions. Wall time is monotonic across a gap, so "shows later than `at`" splits it.
    lo = int(naive.replace(tzinfo=tz, fold=1).timestamp())
    hi = int(first)
    if not (_wall(lo, tz) <= naive < _wall(hi, tz)):
        return first  # not a simple gap; keep Python's answer rather than guess
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _wall(mid, tz) > naive:
            hi = mid
        else:
            lo = mid
    # Modern offsets are whole minutes, so a whole UTC minute is a whole local one.
    return float(hi + (-hi % 60))


def _first(
    after: float,
    tz: ZoneInfo,
    at: time,
    days: frozenset[int],
    *,
    inclusive: bool = False,
    min_day: date | None = None,
) -> Occurrence:
    """The earliest chosen day's occurrence due after `after` (or at it, if `inclusive`) and on
    or after `min_day`."""
    # Start a day early: a day's occurrence can fall after midnight of the next local date when a
    # gap swallows midnight, and a day too early is simply rejected by the due check.
    day = _wall(after, tz).date() - timedelta(days=1)
    if min_day is not None and min_day > day:
        day = min_day
    for _ in range(_SEARCH_DAYS):
        if day.weekday() in days:
            due = _due_on(day, at, tz)
            if due > after or (inclusive and due == after):
                return Occurrence(day, due)
        day += timedelta(days=1)
    raise ValueError("no occurrence found; is `days` empty?")


def next_due(after: float, zone: str, at: str, days: frozenset[int]) -> Occurrence:
    """The first occurrence due strictly after the UTC timestamp `after`.

    `at` is "HH:MM" local time in the IANA `zone`, `days` weekday numbers 0=Monday … 6=Sunday.
    Passing an occurrence's own `due` gives the next chosen day, never the same day again."""
    _check_days(days)
    return _first(after, ZoneInfo(zone), _parse_at(at), days)


def after_downtime(
    now: float,
    missed: Occurrence,
    zone: str,
    at: str,
    days: frozenset[int],
    grace: float = DEFAULT_GRACE,
) -> tuple[bool, Occurrence]:
    """The loop was down and `missed` (the stored occurrence) came due before `now`. Returns
    `(send_now, next)`: whether to send one late nudge now, and the occurrence to store after.

    A nudge at most `grace` seconds late is still worth sending; an older one would arrive at an
    odd hour, so it is dropped. If the downtime outlasted further occurrences, the latest one
    within the grace is the one sent (a day down should not cost today's nudge). `next` is always
    a later `day` than whatever was sent or skipped and due after `now`, so a nudge is never sent
    twice for one day. If `missed` is not due yet, nothing is sent and it stays the next one:
    calling this again with the `next` it returned is harmless."""
    _check_days(days)
    tz, wall = ZoneInfo(zone), _parse_at(at)
    if missed.due > now:
        return False, missed
    sent: Occurrence | None = None
    candidate = _first(now - grace, tz, wall, days, inclusive=True, min_day=missed.day)
    while candidate.due <= now:
        sent = candidate
        candidate = _first(candidate.due, tz, wall, days, min_day=candidate.day + timedelta(days=1))
    last_day = sent.day if sent is not None else missed.day
    return sent is not None, _first(now, tz, wall, days, min_day=last_day + timedelta(days=1))


def snooze(now: float, minutes: int = 60) -> float:
    """When a snoozed nudge comes back. The occurrence (its `day`) stays the same one."""
    return now + minutes * 60


def skip_today(now: float, zone: str, at: str, days: frozenset[int], today: date) -> Occurrence:
    """The next occurrence for a day after the person's local `today`, so that today's, whether
    already sent or still to come, is not (or no longer) pending."""
    _check_days(days)
    return _first(now, ZoneInfo(zone), _parse_at(at), days, min_day=today + timedelta(days=1))


def local_label(occurrence: Occurrence, zone: str) -> str:
    """How the nudge's time reads to the person, e.g. "Mon 30 Mar, 03:00". Spelled out in
    English rather than through strftime, whose %a and %b follow the server's locale."""
    shown = _wall(occurrence.due, ZoneInfo(zone))
    return (
        f"{_WEEKDAYS[shown.weekday()]} {shown.day} {_MONTHS[shown.month - 1]}, "
        f"{shown.hour:02d}:{shown.minute:02d}"
    )


# --- choosing a zone --------------------------------------------------------------------------

# Names a person should not end up with: the machine's own setting, a placeholder, and three
# fixed offsets that look like US zone abbreviations but never observe DST (someone typing "EST"
# in New York would be an hour off all summer; better to ask again).
_NOT_OFFERED = frozenset({"localtime", "posixrules", "Factory", "EST", "MST", "HST"})

# Only names under these areas have a city as their last part; "US/Eastern", "Etc/GMT+5" (which
# is UTC-5) and the like are reachable by their full name only.
_CITY_AREAS = frozenset(
    {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe"}
    | {"Indian", "Pacific"}
)

_ALIASES = {"utc": "UTC", "z": "UTC", "zulu": "UTC", "gmt": "GMT"}

_MAX_TYPED = 64


def _read_tab(name: str) -> str | None:
    """A tz database table from the system's zone files, else from the `tzdata` package."""
    for directory in zoneinfo.TZPATH:
        try:
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                return f.read()
        except OSError:
            continue
    try:
        resource = importlib.resources.files("tzdata").joinpath("zoneinfo", name)
        return resource.read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError):
        return None


def _rows(text: str | None) -> list[tuple[list[str], str]]:
    rows = []
    for line in (text or "").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            rows.append((fields[0].split(","), fields[2]))
    return rows


def _country_zones(zone1970: str | None, zone_tab: str | None) -> dict[str, tuple[str, ...]]:
    """Country code → zones, in the tables' order (most populous first within a country).

    zone1970.tab lists each zone once, under every country that shares its clocks, and the first
    code is the country it belongs to. Taking only those rows keeps a country to its own zones
    (Germany is Europe/Berlin, not also Europe/Zurich for one exclave; Australia not Asia/Tokyo).
    Countries that own no row there (Denmark keeps Berlin's clocks) take zone.tab's rows, which
    carry their own names (Europe/Copenhagen)."""
    result: dict[str, list[str]] = {}
    for codes, zone in _rows(zone1970):
        result.setdefault(codes[0], []).append(zone)
    fallback: dict[str, list[str]] = {}
    for codes, zone in _rows(zone_tab):
        fallback.setdefault(codes[0], []).append(zone)
    for code, zones in fallback.items():
        result.setdefault(code, zones)
    return {code: tuple(zones) for code, zones in result.items()}


@lru_cache(maxsize=1)
def _offered() -> frozenset[str]:
    return frozenset(available_timezones() - _NOT_OFFERED)


@lru_cache(maxsize=1)
def _countries() -> dict[str, tuple[str, ...]]:
    offered = _offered()
    return {
        code: kept
        for code, zones in _country_zones(_read_tab("zone1970.tab"), _read_tab("zone.tab")).items()
        if (kept := tuple(z for z in zones if z in offered))
    }


def zones_for(country: str) -> list[str]:
    """The IANA zones of an ISO 3166 alpha-2 country code ("DE", "us"), most common first; []
    for anything else."""
    code = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        return []
    return list(_countries().get(code, ()))


def _normal(text: str) -> str:
    """Case, accents, "_" or "-" versus spaces and stray dots or apostrophes do not matter:
    "São Paulo", "sao_paulo" and "SAO-PAULO" are the same; so are "St. John's" and "St_Johns"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[._'’-]", lambda m: "" if m[0] in ".'’" else " ", text)
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"\s*/\s*", "/", text).strip()


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Three lookups: exact name in any case, normalised full name, normalised city."""
    offered = _offered()
    in_tables = {z for zones in _countries().values() for z in zones}
    exact = {name.lower(): name for name in offered}
    full: dict[str, str] = {}
    city: dict[str, str] = {}
    # Where two names normalise alike (America/Indiana/Indianapolis and the old
    # America/Indianapolis), the one the tz tables offer today wins, then the shorter name.
    for name in sorted(offered, key=lambda z: (z not in in_tables, len(z), z)):
        full.setdefault(_normal(name), name)
        area, _, rest = name.partition("/")
        if area in _CITY_AREAS and rest:
            city.setdefault(_normal(rest.rsplit("/", 1)[-1]), name)
    return exact, full, city


def find_zone(typed: str) -> str | None:
    """The IANA zone a person means by what they typed: a zone name in any case
    ("europe/berlin"), a city that ends a zone name ("berlin", "New York", "sao paulo"), or
    "UTC"/"GMT". None when nothing matches."""
    typed = typed.strip()
    if not typed or len(typed) > _MAX_TYPED:
        return None
    exact, full, city = _index()
    lowered = typed.lower()
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    if lowered in exact:
        return exact[lowered]
    key = _normal(typed)
    return full.get(key) or city.get(key)
