"""Daily check-ins, and the reminders that bring people to them (bot/data/checkin.yml).

A check-in is mood and steadiness (1-5 each, buttons or a typed number), optional tags, and an
optional line kept only with the journal's consent; the reply fits the answers (a low day offers
something calming, several low days in a row mention that a counsellor can help). Each step is
stored (table `checkins`), so a restart in the middle loses nothing.

The reminders are this flow's due items: a schedule whose time has come (bot/flows/schedule.py
sets it) becomes one discreet nudge with "Check in now", "Snooze 1 h" and "Skip today". The due
loop (bot/nudges.py) keeps them out of the quiet mark after a crisis.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import date, datetime
from functools import partial
from zoneinfo import ZoneInfo

from bot import history
from bot import schedule as calendar
from bot.answers import NO, YES, yes_no
from bot.flows import Due, Flow
from bot.flows.reflection import is_stop
from bot.flows.schedule import texts
from bot.flows.steps_base import parse_rating
from bot.logs import user_tag
from bot.payloads import CheckinAnswer, CheckinStart, ExerciseMenu, Nudge, Payload
from bot.replies import Attachment, Button, Reply

logger = logging.getLogger(__name__)

HISTORY_DAYS = 30
# Spelled out here: strftime's names follow the server's locale.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LOW = 2  # a mood or steadiness at or below this is a low day
# This many low check-ins in a row, within LOW_DAYS days, and the reply mentions professional help.
LOW_RUN, LOW_DAYS = 3, 7
# A reminder at most this late after downtime is still sent; older ones wait for the next day.
GRACE_SECONDS = 2 * 3600
# A typed "ok" this soon after today's reminder answers it (a later one is conversation).
NUDGE_ANSWER_SECONDS = 2 * 3600
_TYPED = {str(n): n for n in range(1, 6)}


def _t(part: str) -> dict:
    return texts()[part]


class Checkin(Flow):
    name = "checkin"
    payloads = (CheckinStart, CheckinAnswer, Nudge)

    async def active(self, user_id: int) -> bool:
        return await self.store.open_checkin(user_id) is not None

    async def start(self, user_id: int) -> list[Reply]:
        checkin = await self.store.start_checkin(user_id)
        return [self._ask(checkin)]

    async def on_payload(self, user_id: int, payload: Payload) -> list[Reply]:
        if isinstance(payload, CheckinStart):
            return await self.start(user_id)
        if isinstance(payload, Nudge):
            return await self._nudge_tap(user_id, payload)
        assert isinstance(payload, CheckinAnswer)
        checkin = await self.store.open_checkin(user_id)
        if checkin is None or checkin["id"] != payload.checkin:
            return [Reply(texts()["stale"])]
        return await self._answer(checkin, payload.field, payload.value)

    async def on_text(self, user_id: int, text: str) -> list[Reply] | None:
        checkin = await self.store.open_checkin(user_id)
        if checkin is None:
            return await self._typed_to_nudge(user_id, text)
        if is_stop(text):
            await self.store.drop_open_checkin(user_id)
            return [Reply(texts()["stopped"])]
        step = checkin["step"]
        if step in ("mood", "steady"):
            value = parse_rating(text)  # "4", "four", "a 4"
            if value is None or str(value) not in _TYPED:
                return None  # they want to talk: the check-in waits where it is
            return await self._answer(checkin, step, str(value))
        if step == "tags":
            if len(text.split()) > 2:
                return None  # not an answer to the tags: the conversation takes it
            return await self._answer(checkin, "tag", "done")
        if step == "note":
            return await self._answer(checkin, "note", text.strip())
        return None

    async def interrupt(self, user_id: int) -> None:
        await self.store.drop_open_checkin(user_id)

    # --- the steps ---------------------------------------------------------------------------

    def _ask(self, checkin: dict) -> Reply:
        step, cid = checkin["step"], checkin["id"]
        if step in ("mood", "steady"):
            buttons = tuple(Button(n, CheckinAnswer(cid, step, n).pack()) for n in texts()["scale"])
            return Reply(_t(step)["ask"], buttons, rows=(5,))
        if step == "tags":
            options = _t("tags")["options"]
            chosen = [options[tag] for tag in checkin["tags"] if tag in options]
            buttons = [
                Button(title, CheckinAnswer(cid, "tag", tag).pack())
                for tag, title in options.items()
                if tag not in checkin["tags"]
            ]
            buttons.append(Button(_t("tags")["done"], CheckinAnswer(cid, "tag", "done").pack()))
            ask = _t("tags")["ask"]
            if chosen:
                ask = f"{_t('tags')['chosen'].format(tags=', '.join(chosen))}\n\n{ask}"
            return Reply(ask, tuple(buttons), rows=(4, 4, 1))
        skip = Button(_t("note")["skip"], CheckinAnswer(cid, "note", "skip").pack())
        return Reply(_t("note")["ask"], (skip,))

    async def _answer(self, checkin: dict, field: str, value: str) -> list[Reply]:
        step = checkin["step"]
        if field in ("mood", "steady") and field == step and value in _TYPED:
            checkin["mood" if field == "mood" else "steadiness"] = _TYPED[value]
            checkin["step"] = "steady" if field == "mood" else "tags"
        elif field == "tag" and step == "tags" and value == "done":
            consent = await self.store.writing_consent(checkin["user_id"])
            if not consent:
                return await self._finish(checkin)
            checkin["step"] = "note"
        elif field == "tag" and step == "tags" and value in _t("tags")["options"]:
            if value not in checkin["tags"]:
                checkin["tags"].append(value)
        elif field == "note" and step == "note":
            if value != "skip":
                checkin["note"] = value[:2000]
            return await self._finish(checkin)
        else:
            return [self._ask(checkin)]  # a button from an earlier step: show where we are
        await self.store.save_checkin(checkin)
        return [self._ask(checkin)]

    async def _finish(self, checkin: dict) -> list[Reply]:
        await self.store.save_checkin(checkin, finished=True)
        user_id = checkin["user_id"]
        closing = _t("closing")
        low = min(checkin["mood"] or 5, checkin["steadiness"] or 5) <= LOW
        high = min(checkin["mood"] or 0, checkin["steadiness"] or 0) >= 4
        parts = [closing["low" if low else "good" if high else "middle"]]
        if low and await self._low_run(user_id):
            parts.append(closing["several_low"])
        parts.append(closing["history"])
        buttons = (Button(closing["low_button"], ExerciseMenu().pack()),) if low else ()
        return [Reply("\n\n".join(parts), buttons)]

    async def _low_run(self, user_id: int) -> bool:
        since = time.time() - LOW_DAYS * 86400  # rows are stamped by the store's clock
        recent = (await self.store.checkins(user_id, since))[-LOW_RUN:]
        return len(recent) == LOW_RUN and all(
            min(c["mood"] or 5, c["steadiness"] or 5) <= LOW for c in recent
        )

    async def history(self, user_id: int) -> list[Reply]:
        """/history: the last 30 days as a chart, and two lines in words. Days are the
        person's own (their reminder's zone; UTC until they set one)."""
        now = time.time()  # rows are stamped by the store's clock, not the schedule's
        row = await self.store.schedule(user_id)
        zone = ZoneInfo((row or {}).get("zone") or "UTC")
        since = now - (HISTORY_DAYS + 1) * 86400

        def day_of(timestamp: float) -> date:
            return datetime.fromtimestamp(timestamp, zone).date()

        moods: dict[date, tuple[int | None, int | None]] = {}
        for checkin in await self.store.checkins(user_id, since):
            moods[day_of(checkin["started_at"])] = (checkin["mood"], checkin["steadiness"])
        ratings: dict[date, list[tuple[int, int]]] = {}
        for rating in await self.store.exercise_ratings(user_id):
            if rating["started_at"] >= since and None not in (rating["before"], rating["after"]):
                pair = (rating["before"], rating["after"])
                ratings.setdefault(day_of(rating["started_at"]), []).append(pair)
        days = [
            history.Day(
                day,
                *moods.get(day, (None, None)),
                _mean([b for b, _ in ratings.get(day, [])]),
                _mean([a for _, a in ratings.get(day, [])]),
            )
            for day in sorted(set(moods) | set(ratings))
        ]
        today = day_of(now)
        png = await asyncio.to_thread(history.chart, days, today)  # matplotlib: off the loop
        chart = Attachment("trust-companion-history.png", png, "photo")
        return [Reply(history.summary(days, today), file=chart)]

    # --- reminders ---------------------------------------------------------------------------

    def nudge(self, day: str) -> Reply:
        texts_ = _t("nudge")
        return Reply(
            texts_["text"],
            (
                Button(texts_["now"], CheckinStart().pack()),
                Button(texts_["snooze"], Nudge("snooze", day).pack()),
                Button(texts_["skip"], Nudge("skip", day).pack()),
            ),
        )

    async def due(
        self, now: float, user_id: int | None = None, quiet: frozenset[int] = frozenset()
    ) -> Due:
        """Reminders whose time has come, each once: the schedule moves on (the claim) just
        before its reminder is queued. One too late after downtime moves on unsent."""
        items: Due = []
        for row in await self.store.due_schedules(now, user_id, quiet):
            try:
                sent_day, following = self._after(row, now)
            except Exception as error:  # noqa: BLE001 - one broken row must not stop the others
                # Set aside until /schedule sets it again; type only (no user data in logs).
                logger.warning(
                    "set aside a schedule for user %s: %s",
                    user_tag(row["user_id"]),
                    type(error).__name__,
                )
                await self.store.save_schedule(row["user_id"], due_at=None)
                continue
            claim = partial(
                self.store.move_schedule,
                row["user_id"],
                row["due_at"],
                following.due,
                following.day.isoformat(),
                sent_day,
            )
            if sent_day:
                replies = [self.nudge(sent_day)]
                snoozed = row["sent_day"] == row["due_day"]  # its look back went out already
                if not snoozed and row["weekly"] == date.fromisoformat(sent_day).weekday():
                    replies.insert(0, await self._week(row["user_id"], sent_day, row["zone"]))
                items.append((row["user_id"], replies, claim))
            else:
                await claim()
        return items

    def _after(self, row: dict, now: float) -> tuple[str | None, calendar.Occurrence]:
        """The local day to send a reminder for now (None: too late, skip it), and the next."""
        zone, at, days = row["zone"], row["at"], frozenset(int(d) for d in row["days"] or "")
        missed = calendar.Occurrence(date.fromisoformat(row["due_day"]), row["due_at"])
        if row["sent_day"] == row["due_day"]:
            # A snoozed reminder: that day was nudged once already and asked for it again.
            late = now - row["due_at"] > GRACE_SECONDS
            following = calendar.skip_today(now, zone, at, days, missed.day)
            return (None if late else row["due_day"]), following
        send, following = calendar.after_downtime(now, missed, zone, at, days, GRACE_SECONDS)
        if not send:
            return None, following
        # The day sent for: the latest occurrence due by now (after_downtime picks that one).
        sent = calendar.next_due(now - GRACE_SECONDS - 1, zone, at, days)
        while (later := calendar.next_due(sent.due, zone, at, days)).due <= now:
            sent = later
        return max(sent.day, missed.day).isoformat(), following

    async def _week(self, user_id: int, day: str, zone: str) -> Reply:
        """The weekly look back: the last seven days in a few lines, and one idea (a different
        one each week) to carry forward."""
        week = _t("week")
        done = await self.store.checkins(user_id, time.time() - 7 * 86400)
        idea = week["ideas"][date.fromisoformat(day).isocalendar()[1] % len(week["ideas"])]
        if not done:
            return Reply(f"{week['heading']}\n{week['none']}\n\n{idea['text']}")
        local = ZoneInfo(zone)
        days = {datetime.fromtimestamp(c["started_at"], local).date() for c in done}
        moods = [c["mood"] for c in done if c["mood"] is not None]
        steady = [c["steadiness"] for c in done if c["steadiness"] is not None]
        lines = [week["heading"], week["count"].format(days=len(days))]
        if moods and steady:
            lines.append(
                week["averages"].format(
                    mood=round(sum(moods) / len(moods), 1),
                    steady=round(sum(steady) / len(steady), 1),
                )
            )
        rated = [c for c in done if c["mood"] is not None]
        if len(rated) >= 2:
            hardest = min(rated, key=lambda c: (c["mood"], c["steadiness"] or 5))
            weekday = datetime.fromtimestamp(hardest["started_at"], local).weekday()
            lines.append(week["lowest"].format(day=WEEKDAYS[weekday]))
        return Reply("\n".join(lines) + f"\n\n{idea['text']}")

    async def _typed_to_nudge(self, user_id: int, text: str) -> list[Reply] | None:
        """ "ok" or "not today" typed soon after a reminder answers it like its buttons."""
        said = yes_no(text)
        if said is None:  # most messages: no store read for them
            return None
        row = await self.store.schedule(user_id)
        if not row or time.time() - row["updated_at"] > NUDGE_ANSWER_SECONDS:
            return None
        today = datetime.now(ZoneInfo(row["zone"] or "UTC")).date().isoformat()
        if row["sent_day"] != today:
            return None
        if said == YES:
            return await self.start(user_id)
        if said == NO:
            return await self._nudge_tap(user_id, Nudge("skip", row["sent_day"]))
        return None

    async def _nudge_tap(self, user_id: int, payload: Nudge) -> list[Reply]:
        row = await self.store.schedule(user_id)
        if not row or not row["days"]:
            return [Reply(texts()["schedule"]["none"])]
        if payload.day not in (row["sent_day"], row["due_day"]):
            return [Reply(_t("nudge")["stale"])]  # an older day's reminder
        now = self.options.clock()
        if payload.action == "snooze":
            await self.store.save_schedule(
                user_id, due_at=calendar.snooze(now), due_day=payload.day, sent_day=payload.day
            )
            return [Reply(_t("nudge")["snoozed"])]
        days = frozenset(int(d) for d in row["days"])
        skipped = date.fromisoformat(payload.day)
        following = calendar.skip_today(now, row["zone"], row["at"], days, skipped)
        await self.store.save_schedule(
            user_id, due_at=following.due, due_day=following.day.isoformat()
        )
        return [Reply(_t("nudge")["skipped"])]


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None
