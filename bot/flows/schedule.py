"""Setting the check-in reminders: time zone, time, days (bot/data/checkin.yml, "schedule").

Offered once the person's country is known, and any time with /schedule; /pause and /resume
stop and restart the reminders. The zone comes from the country's zones in the tz database (one
zone is taken as it is, several are offered as buttons) or from a typed city or zone name. The
next reminder is stored as a UTC instant with the local day it is for (bot/schedule.py does the
calendar work, DST included), so a restart or a clock change never sends two for one day.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot import schedule as calendar
from bot.answers import NO, YES, yes_no
from bot.flows import Flow
from bot.flows.reflection import is_stop
from bot.payloads import Payload, ScheduleStep
from bot.replies import Button, Reply

FILE = Path(__file__).resolve().parent.parent / "data" / "checkin.yml"
DAYS = {
    "daily": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
}
WEEKDAYS = tuple(str(d) for d in range(7))  # 0 = Monday, as datetime.weekday() counts
# Where a country's clock is shared by several zones, these name the button.
BIG_CITIES = {
    "Sydney",
    "Melbourne",
    "Brisbane",
    "Perth",
    "Adelaide",
    "Chicago",
    "Denver",
    "Phoenix",
    "Los Angeles",
    "Toronto",
    "Vancouver",
    "Edmonton",
    "Winnipeg",
    "Halifax",
    "Sao Paulo",
    "Mexico City",
    "Moscow",
    "Jakarta",
    "Auckland",
    "Madrid",
    "Lisbon",
}
# Zones offered as buttons for a country with several; the rest are typed as a city.
MAX_ZONE_BUTTONS = 8
# A typed answer this long is not a city or a time: the person moved on, and the dialogue answers.
MAX_ANSWER_WORDS = 3
# A set-up question left unanswered this long no longer takes the next message as its answer.
ASKING_SECONDS = 3600
_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$", re.IGNORECASE)


@cache
def texts() -> dict:
    return yaml.safe_load(FILE.read_text(encoding="utf-8"))


def _t(key: str) -> str:
    return texts()["schedule"][key]


def parse_time(typed: str) -> str | None:
    """ "21:30", "9pm", "9.30 pm", "7" → "HH:MM"; None for anything else."""
    match = _TIME.match(typed)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    half = (match.group(3) or "").lower().replace(".", "")
    if half and not 1 <= hour <= 12:
        return None
    if half == "pm" and hour != 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    return f"{hour:02d}:{minute:02d}" if hour <= 23 and minute <= 59 else None


_DAY_WORDS = {
    name: str(day)
    for day, names in enumerate(
        (
            ("mon", "monday", "mondays"),
            ("tue", "tues", "tuesday", "tuesdays"),
            ("wed", "wednesday", "wednesdays"),
            ("thu", "thur", "thurs", "thursday", "thursdays"),
            ("fri", "friday", "fridays"),
            ("sat", "saturday", "saturdays"),
            ("sun", "sunday", "sundays"),
        )
    )
    for name in names
}


def parse_days(typed: str) -> set[str]:
    """Typed days ("mon, wed and fri", "weekends", "every day"), {"done"} for "done", or an
    empty set when the text is not (only) days."""
    words = [w for w in re.split(r"[\s,/&+]+", typed.lower().strip(" .!")) if w and w != "and"]
    if words == ["done"] or words == ["ok"]:
        return {"done"}
    joined = " ".join(words)
    for kind, chosen in DAYS.items():
        if joined in (kind, _t("days")[kind].lower()):
            return {str(d) for d in chosen}
    if words and all(w in _DAY_WORDS for w in words):
        return {_DAY_WORDS[w] for w in words}
    return set()


def describe_days(days: str) -> str:
    """ "every day", "weekdays", or "on Mon, Wed and Fri"."""
    for kind, chosen in DAYS.items():
        if _days(days) == chosen:
            return _t("days")[kind].lower()
    names = [_t("weekday_names")[int(d)] for d in sorted(days)]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return _t("on_days").format(days=listed)


def _days(stored: str | None) -> frozenset[int]:
    return frozenset(int(d) for d in stored or "")


def distinct_clocks(zones: list[str], now: float) -> list[str]:
    """One zone per distinct clock (its offsets this January and this July): the tz tables list
    eight Eastern zones before Chicago, and a person picks by the time on their own clock, which
    each button shows. A big city, where the group has one, names it."""
    year = datetime.fromtimestamp(now, timezone.utc).year
    groups: dict[tuple, list[str]] = {}
    for zone in zones:
        tz = ZoneInfo(zone)
        key = tuple(datetime(year, month, 1, tzinfo=tz).utcoffset() for month in (1, 7))
        groups.setdefault(key, []).append(zone)
    return [
        next((z for z in group if _city(z) in BIG_CITIES), group[0]) for group in groups.values()
    ]


def _city(zone: str) -> str:
    return zone.rsplit("/", 1)[-1].replace("_", " ")


class Schedule(Flow):
    name = "schedule"
    payloads = (ScheduleStep,)

    async def active(self, user_id: int) -> bool:
        row = await self.store.schedule(user_id)
        return bool(row and row["asking"])

    async def offer(self, user_id: int) -> Reply:
        """After onboarding's country question: reminders, if the person wants them. Asked
        once; a typed yes or no answers it like the buttons."""
        await self.store.save_schedule(user_id, asking="offer")
        return Reply(
            _t("offer"),
            (
                Button(_t("offer_yes"), ScheduleStep("start").pack()),
                Button(_t("offer_no"), ScheduleStep("no").pack()),
            ),
        )

    async def start(self, user_id: int) -> list[Reply]:
        zones = distinct_clocks(
            calendar.zones_for(await self.store.country(user_id) or ""), self.options.clock()
        )
        if len(zones) == 1:
            return await self._zone(user_id, zones[0])
        if zones:
            now = self.options.clock()
            buttons = [
                Button(
                    f"{_city(zone)} · {datetime.fromtimestamp(now, ZoneInfo(zone)):%H:%M}",
                    ScheduleStep("zone", zone).pack(),
                )
                for zone in zones[:MAX_ZONE_BUTTONS]
            ]
            buttons.append(Button(_t("zone_other"), ScheduleStep("zone", "other").pack()))
            await self.store.save_schedule(user_id, asking="zone")
            return [Reply(_t("zone_pick"), tuple(buttons))]
        await self.store.save_schedule(user_id, asking="zone")
        return [Reply(_t("zone_type"))]

    async def on_payload(self, user_id: int, payload: Payload) -> list[Reply]:
        assert isinstance(payload, ScheduleStep)
        if payload.step == "start":
            return await self.start(user_id)
        if payload.step == "no":
            await self.store.save_schedule(user_id, asking=None)
            return [Reply(_t("not_now"))]
        if payload.step == "zone":
            if payload.value == "other" or calendar.find_zone(payload.value) != payload.value:
                await self.store.save_schedule(user_id, asking="zone")
                return [Reply(_t("zone_type"))]
            return await self._zone(user_id, payload.value)
        if payload.step == "at":
            if payload.value == "other":
                await self.store.save_schedule(user_id, asking="at")
                return [Reply(_t("at_type_ask"))]
            at = parse_time(f"{payload.value[:2]}:{payload.value[2:]}")
            return await self._at(user_id, at) if at else []
        if payload.step == "days" and payload.value in DAYS:
            return await self._days(user_id, "".join(str(d) for d in sorted(DAYS[payload.value])))
        if payload.step == "days" and payload.value in ("choose", "chosen"):
            return await self._choose(user_id, done=payload.value == "chosen")
        if payload.step == "day" and payload.value in WEEKDAYS:
            return await self._choose(user_id, toggle=payload.value)
        if payload.step == "weekly" and payload.value == "ask":
            return await self._weekly_ask(user_id)
        if payload.step == "weekly" and payload.value in WEEKDAYS:
            await self.store.save_schedule(user_id, weekly=int(payload.value))
            day = _t("weekday_full")[int(payload.value)]
            return [Reply(_t("weekly_on").format(day=day))]
        return []

    async def _choose(self, user_id: int, toggle: str = "", done: bool = False) -> list[Reply]:
        """Chosen days, tapped on and off; the pick waits in `asking` until Done, so the
        reminders keep their current days meanwhile."""
        row = await self.store.schedule(user_id)
        asking = (row or {}).get("asking") or ""
        picked = set(asking.removeprefix("days:")) if asking.startswith("days:") else set()
        picked ^= {toggle} if toggle else set()
        if done and picked:
            await self.store.save_schedule(user_id, asking=None)
            return await self._days(user_id, "".join(sorted(picked)))
        await self.store.save_schedule(user_id, asking="days:" + "".join(sorted(picked)))
        names = _t("weekday_names")
        buttons = [
            Button(("✓ " if d in picked else "") + names[int(d)], ScheduleStep("day", d).pack())
            for d in WEEKDAYS
        ]
        buttons.append(Button(_t("choose_done"), ScheduleStep("days", "chosen").pack()))
        said = _t("choose_none") if done else _t("choose_ask")
        return [Reply(said, tuple(buttons), rows=(4, 3, 1))]

    async def _weekly_ask(self, user_id: int) -> list[Reply]:
        row = await self.store.schedule(user_id)
        names = _t("weekday_names")
        buttons = tuple(
            Button(names[d], ScheduleStep("weekly", str(d)).pack())
            for d in sorted(_days((row or {}).get("days")))
        )
        return [Reply(_t("weekly_ask"), buttons, rows=(4, 3))]

    async def on_text(self, user_id: int, text: str) -> list[Reply] | None:
        row = await self.store.schedule(user_id)
        if not row or not row["asking"]:
            return None
        if row["asking"] == "offer":
            said = yes_no(text)
            if said == YES:
                return await self.start(user_id)
            await self.store.save_schedule(user_id, asking=None)  # no, or something else
            return [Reply(_t("not_now"))] if said == NO else None
        if row["asking"] == "zone" and (zone := calendar.find_zone(text)):
            return await self._zone(user_id, zone)
        if row["asking"] == "at" and (at := parse_time(text)):
            return await self._at(user_id, at)
        if row["asking"].startswith("days:") and not is_stop(text):
            typed = parse_days(text)
            if typed:  # "mon wed fri", "weekends", "done"
                picked = typed if typed != {"done"} else set(row["asking"].removeprefix("days:"))
                await self.store.save_schedule(user_id, asking="days:" + "".join(sorted(picked)))
                return await self._choose(user_id, done=True)
            if len(text.split()) <= MAX_ANSWER_WORDS:
                return await self._choose(user_id)  # the days again, to tap
        stale = time.time() - row["updated_at"] > ASKING_SECONDS
        if is_stop(text) or stale or len(text.split()) > MAX_ANSWER_WORDS:
            # Stopped, moved on, or back much later: the question lapses and the
            # conversation takes the text ("stop" gets a word of its own).
            await self.store.save_schedule(user_id, asking=None)
            return [Reply(_t("not_now"))] if is_stop(text) and not stale else None
        hint = {"zone": "zone_unknown", "at": "at_unknown"}.get(row["asking"], "choose_ask")
        return [Reply(_t(hint))]

    async def interrupt(self, user_id: int) -> None:
        if await self.active(user_id):
            await self.store.save_schedule(user_id, asking=None)

    async def _zone(self, user_id: int, zone: str) -> list[Reply]:
        await self.store.save_schedule(user_id, zone=zone, asking="at")
        await self._replan(user_id)
        buttons = [
            Button(at, ScheduleStep("at", at.replace(":", "")).pack()) for at in _t("at_options")
        ]
        buttons.append(Button(_t("at_type"), ScheduleStep("at", "other").pack()))
        return [Reply(_t("at_ask"), tuple(buttons), rows=(4,))]

    async def _at(self, user_id: int, at: str) -> list[Reply]:
        # The days may be typed too ("weekdays", "mon wed fri"): the question stays open.
        await self.store.save_schedule(user_id, at=at, asking="days:")
        await self._replan(user_id)
        buttons = tuple(
            Button(title, ScheduleStep("days", kind).pack()) for kind, title in _t("days").items()
        )
        return [Reply(_t("days_ask"), buttons)]

    async def _days(self, user_id: int, days: str) -> list[Reply]:
        await self.store.save_schedule(user_id, asking=None)
        row = await self.store.schedule(user_id)
        if not row or not row["zone"] or not row["at"]:
            return await self.start(user_id)
        first = await self._plan(user_id, row["zone"], row["at"], days)
        said = _t("done").format(
            at=row["at"], zone=row["zone"], days=describe_days(days), first=first
        )
        if row["weekly"] is not None and str(row["weekly"]) in days:
            return [Reply(said)]
        weekly = Button(_t("weekly_offer"), ScheduleStep("weekly", "ask").pack())
        return [Reply(said, (weekly,))]

    async def _replan(self, user_id: int) -> None:
        """A changed zone or time takes effect at once, even if the days are never tapped:
        the reminder in between is not lost."""
        row = await self.store.schedule(user_id)
        if row and row["zone"] and row["at"] and row["days"] and not row["paused"]:
            await self._plan(user_id, row["zone"], row["at"], row["days"])

    async def _plan(self, user_id: int, zone: str, at: str, days: str) -> str:
        """Stores the next reminder from now (never a second one for a day already reminded);
        how it reads to the person."""
        now, chosen = self.options.clock(), _days(days)
        occurrence = calendar.next_due(now, zone, at, chosen)
        row = await self.store.schedule(user_id)
        if row and row["sent_day"] == occurrence.day.isoformat():
            occurrence = calendar.skip_today(now, zone, at, chosen, occurrence.day)
        await self.store.save_schedule(
            user_id,
            days=days,
            paused=0,
            due_at=occurrence.due,
            due_day=occurrence.day.isoformat(),
        )
        return calendar.local_label(occurrence, zone)

    async def pause(self, user_id: int) -> list[Reply]:
        if not (row := await self.store.schedule(user_id)) or not row["days"]:
            return [Reply(_t("none"))]
        await self.store.save_schedule(user_id, paused=1)
        return [Reply(_t("paused"))]

    async def resume(self, user_id: int) -> list[Reply]:
        """From now on: reminders missed while paused are not sent."""
        if not (row := await self.store.schedule(user_id)) or not row["days"]:
            return [Reply(_t("none"))]
        first = await self._plan(user_id, row["zone"], row["at"], row["days"])
        return [Reply(_t("resumed").format(first=first))]
