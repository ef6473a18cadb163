"""Check-ins and their reminders through `Conversation` with a stand-in dialogue and a clock
the test moves: schedule set-up, nudges at the local time, downtime, snooze, skip, pause,
the quiet mark, a blocked bot, the check-in itself and /history."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import commands
from bot.conversation import Conversation
from bot.flows import Options
from bot.nudges import DueLoop
from bot.payloads import CheckinStart, Country, ScheduleStep, parse
from bot.store import Store
from tests.conftest import DATA_KEY
from tests.fake_dialogue import FakeDialogue

USER = 77


class Clock:
    def __init__(self, when: str, zone: str) -> None:
        self.now = datetime.fromisoformat(when).replace(tzinfo=ZoneInfo(zone)).timestamp()

    def __call__(self) -> float:
        return self.now

    def at(self, when: str, zone: str) -> None:
        self.now = datetime.fromisoformat(when).replace(tzinfo=ZoneInfo(zone)).timestamp()


@pytest.fixture
async def bot(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    clock = Clock("2026-03-27 10:00", "Europe/London")  # a Friday, two days before BST begins
    conversation = Conversation(store, FakeDialogue(), model_wait=0, options=Options(clock=clock))
    sent: list[tuple[int, list]] = []

    async def send(user_id, replies):
        sent.append((user_id, replies))

    loop = DueLoop(conversation.flows, store, send, clock=clock)
    yield conversation, store, clock, loop, sent
    await store.close()


def tap(reply, title: str) -> str:
    return next(b.payload for b in reply.buttons if b.title == title)


async def set_up(conversation, at="21:30", days="Every day"):
    [offer] = await conversation.on_payload(USER, Country("GB").pack())
    assert "reminder" in offer.text  # onboarding's next question, in the same message
    [time_question] = await conversation.on_payload(USER, tap(offer, "Yes, set it up"))
    [days_question] = await conversation.on_text(USER, at)
    [done] = await conversation.on_payload(USER, tap(days_question, days))
    return done


async def test_onboarding_sets_a_daily_reminder_in_the_persons_zone(bot):
    conversation, store, clock, loop, sent = bot
    done = await set_up(conversation, at="9:30 pm")
    assert "21:30 (Europe/London)" in done.text and "Fri 27 Mar, 21:30" in done.text
    row = await store.schedule(USER)
    assert (row["zone"], row["at"], row["days"], row["asking"]) == (
        "Europe/London",
        "21:30",
        "0123456",
        None,
    )


async def test_nudges_land_at_local_time_across_the_clock_change_once_a_day(bot):
    conversation, store, clock, loop, sent = bot
    await set_up(conversation)
    local_times = []
    for _ in range(10 * 24 * 4):  # ten days in quarter hours, straight through BST's start
        clock.now += 900
        before = len(sent)
        await loop.tick()
        if len(sent) > before:
            local_times.append(datetime.fromtimestamp(clock.now, ZoneInfo("Europe/London")))
    assert len(local_times) == 10  # one a day, none doubled, none lost
    assert all((t.hour, t.minute) == (21, 30) for t in local_times)
    [(user, [nudge])] = sent[:1]
    assert user == USER and "check-in" in nudge.text
    assert "trust" not in nudge.text.lower() and "partner" not in nudge.text.lower()
    assert [b.title for b in nudge.buttons] == ["Check in now", "Snooze 1 h", "Skip today"]


async def test_downtime_sends_a_late_nudge_once_or_skips_an_old_one(bot):
    conversation, store, clock, loop, sent = bot
    await set_up(conversation)
    clock.at("2026-03-27 22:45", "Europe/London")  # down over 21:30, back within two hours
    assert await loop.tick() == 1 and await loop.tick() == 0
    clock.at("2026-03-29 02:00", "Europe/London")  # down all of Saturday evening and more
    assert await loop.tick() == 0
    clock.at("2026-03-29 21:31", "Europe/London")
    assert await loop.tick() == 1


async def test_snooze_skip_pause_and_resume(bot):
    conversation, store, clock, loop, sent = bot
    await set_up(conversation)
    clock.at("2026-03-27 21:31", "Europe/London")
    await loop.tick()
    nudge = sent[-1][1][0]
    [snoozed] = await conversation.on_payload(USER, tap(nudge, "Snooze 1 h"))
    assert "hour" in snoozed.text
    clock.at("2026-03-27 22:00", "Europe/London")
    assert await loop.tick() == 0
    clock.at("2026-03-27 22:32", "Europe/London")
    assert await loop.tick() == 1  # the snoozed one, for the same day
    again = sent[-1][1][0]
    [skipped] = await conversation.on_payload(USER, tap(again, "Skip today"))
    assert "not today" in skipped.text.lower()
    clock.at("2026-03-28 21:31", "Europe/London")
    assert await loop.tick() == 1  # tomorrow's comes as planned
    [paused] = await commands.find("pause", "telegram").handler(conversation, USER, [])
    assert "paused" in paused.text.lower()
    clock.at("2026-03-29 21:31", "Europe/London")
    assert await loop.tick() == 0
    await commands.find("resume", "telegram").handler(conversation, USER, [])
    assert await loop.tick() == 0  # missed while paused: not sent afterwards
    clock.at("2026-03-30 21:31", "Europe/London")
    assert await loop.tick() == 1


async def test_no_nudge_inside_the_quiet_mark_or_to_someone_who_blocked_the_bot(bot):
    conversation, store, clock, loop, sent = bot
    await set_up(conversation)
    await store.set_quiet_until(USER, clock.now + 24 * 3600)
    clock.at("2026-03-27 21:31", "Europe/London")
    assert await loop.tick() == 0
    clock.at("2026-03-28 21:31", "Europe/London")  # the mark has passed
    assert await loop.tick() == 1
    await store.set_blocked(USER, True)  # Telegram said 403
    clock.at("2026-03-29 21:31", "Europe/London")
    assert await loop.tick() == 0
    await store.touch_user(USER)  # they wrote again
    clock.at("2026-03-30 21:31", "Europe/London")
    assert await loop.tick() == 1


async def test_a_check_in_start_to_finish_fits_its_reply_to_the_answers(bot):
    conversation, store, clock, loop, sent = bot
    for _ in range(3):
        [mood] = await conversation.on_payload(USER, CheckinStart().pack())
        assert "mood" in mood.text.lower() and len(mood.buttons) == 5
        [steady] = await conversation.on_payload(USER, tap(mood, "2"))
        [tags] = await conversation.on_text(USER, "one")  # a typed number counts, words too
        [tags] = await conversation.on_payload(USER, tap(tags, "Anxious"))
        assert "Anxious" in tags.text and "Anxious" not in [b.title for b in tags.buttons]
        [closing] = await conversation.on_payload(USER, tap(tags, "That's all"))
    assert "calming" in closing.text.lower() and closing.buttons[0].payload == "ex:menu"
    assert "counsellor" in closing.text  # the third low day running
    last = (await store.checkins(USER, 0))[-1]
    assert (last["mood"], last["steadiness"], last["tags"], last["note"]) == (
        2,
        1,
        ["anxious"],
        None,
    )


async def test_the_note_is_asked_and_kept_only_with_consent(bot):
    conversation, store, clock, loop, sent = bot
    await store.set_writing_consent(USER, True)
    [mood] = await conversation.on_payload(USER, CheckinStart().pack())
    [steady] = await conversation.on_payload(USER, tap(mood, "4"))
    [tags] = await conversation.on_payload(USER, tap(steady, "5"))
    [note] = await conversation.on_payload(USER, tap(tags, "That's all"))
    [closing] = await conversation.on_text(USER, "we cooked together and it felt easy")
    assert "calming" not in closing.text
    [kept] = await store.checkins(USER, 0)
    assert kept["note"] == "we cooked together and it felt easy"


async def test_an_old_check_in_button_does_not_answer_a_new_one(bot):
    conversation, store, clock, loop, sent = bot
    [old] = await conversation.on_payload(USER, CheckinStart().pack())
    [new] = await conversation.on_payload(USER, CheckinStart().pack())
    [stale] = await conversation.on_payload(USER, tap(old, "3"))
    assert "already ended" in stale.text
    assert parse(tap(new, "3")) is not None


async def test_history_is_a_png_and_two_lines(bot):
    conversation, store, clock, loop, sent = bot
    [mood] = await conversation.on_payload(USER, CheckinStart().pack())
    [steady] = await conversation.on_payload(USER, tap(mood, "3"))
    [tags] = await conversation.on_payload(USER, tap(steady, "4"))
    await conversation.on_payload(USER, tap(tags, "That's all"))
    [chart] = await commands.find("history", "telegram").handler(conversation, USER, [])
    assert chart.file.kind == "photo"
    assert chart.file.data.startswith(b"\x89PNG\r\n\x1a\n")
    from matplotlib import image

    assert image.imread(io.BytesIO(chart.file.data)).shape[0] > 500
    assert "1 of the last 30 days" in chart.text


async def test_a_long_typed_answer_leaves_the_set_up_for_the_conversation(bot):
    conversation, store, clock, loop, sent = bot
    await conversation.on_payload(USER, Country("US").pack())
    [zones] = await conversation.on_payload(USER, ScheduleStep("start").pack())
    assert len(zones.buttons) > 2
    [asked] = await conversation.on_payload(USER, tap(zones, "Somewhere else"))
    [again] = await conversation.on_text(USER, "narnia")
    assert "couldn't find" in again.text
    [heard] = await conversation.on_text(USER, "he still hasn't texted me back since this morning")
    assert heard.text == "heard fake"  # the dialogue answered; the set-up stepped aside
    assert not await conversation.flow("schedule").active(USER)


@pytest.mark.parametrize(
    ("zone", "start", "spring", "autumn"),
    [
        # A reminder at 02:30: the hour that is skipped in spring and doubled in autumn.
        ("Europe/Berlin", "2026-03-25", "2026-03-29", "2026-10-25"),
        ("America/New_York", "2026-03-05", "2026-03-08", "2026-11-01"),
        ("Australia/Sydney", "2026-03-30", "2026-10-04", "2026-04-05"),
        ("Asia/Kolkata", "2026-03-25", None, None),
    ],
)
async def test_the_loop_sends_one_reminder_a_day_at_local_time_across_dst(
    tmp_path, zone, start, spring, autumn
):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    clock = Clock(f"{start} 00:00", zone)
    conversation = Conversation(store, FakeDialogue(), options=Options(clock=clock))
    sent_at: list[datetime] = []

    async def send(user_id, replies):
        sent_at.append(datetime.fromtimestamp(clock.now, ZoneInfo(zone)))

    loop = DueLoop(conversation.flows, store, send, clock=clock)
    try:
        await conversation.on_payload(USER, ScheduleStep("zone", zone).pack())
        await conversation.on_text(USER, "2:30")
        await conversation.on_payload(USER, ScheduleStep("days", "daily").pack())
        for tick in _ticks(start, 245, zone):  # through both transitions
            clock.now = tick
            await loop.tick()
        days = [t.date().isoformat() for t in sent_at]
        assert len(days) == len(set(days))  # never two on one day
        assert len(days) == 245  # and none lost
        for moment in sent_at:
            day = moment.date().isoformat()
            expected = (3, 0) if day == spring else (2, 30)
            assert (moment.hour, moment.minute) == expected, moment
        if autumn:
            assert autumn in days
    finally:
        await store.close()


def _ticks(start: str, count: int, zone: str) -> list[float]:
    """The loop's ticks, around the reminder's hour each day (both 02:30s of a fall-back
    night included), in order."""
    first = datetime.fromisoformat(start)
    moments = set()
    for n in range(count):
        day = first + timedelta(days=n)
        for hour, minute in ((0, 0), (2, 0), (2, 30), (3, 0), (3, 30), (12, 0)):
            for fold in (0, 1):
                wall = day.replace(hour=hour, minute=minute, fold=fold, tzinfo=ZoneInfo(zone))
                moments.add(wall.timestamp())
    return sorted(moments)


async def test_the_chosen_days_reminder_brings_a_look_back_at_the_week(bot):
    conversation, store, clock, loop, sent = bot
    done = await set_up(conversation)
    [which] = await conversation.on_payload(USER, tap(done, "Add a weekly look back"))
    [weekly] = await conversation.on_payload(USER, tap(which, "Sun"))
    assert "on Sundays" in weekly.text
    for mood in (2, 4):
        [ask] = await conversation.on_payload(USER, CheckinStart().pack())
        [steady] = await conversation.on_payload(USER, tap(ask, str(mood)))
        [tags] = await conversation.on_payload(USER, tap(steady, "3"))
        await conversation.on_payload(USER, tap(tags, "That's all"))
    clock.at("2026-03-28 21:31", "Europe/London")  # Saturday: the reminder alone
    await loop.tick()
    assert len(sent[-1][1]) == 1
    clock.at("2026-03-29 21:31", "Europe/London")  # Sunday: the week first
    await loop.tick()
    week, nudge = sent[-1][1]
    assert "Your week" in week.text and "Mood averaged 3.0" in week.text
    assert "idea for the week ahead" in week.text
    assert [b.title for b in nudge.buttons][0] == "Check in now"


async def test_review_cases_forged_or_old_reminder_taps_change_nothing(bot):
    conversation, store, clock, loop, sent = bot
    await set_up(conversation)
    clock.at("2026-03-27 21:31", "Europe/London")
    await loop.tick()
    before = await store.schedule(USER)
    [stale] = await conversation.on_payload(USER, "nudge:snooze:2026-03-01")
    assert "another day" in stale.text
    assert await conversation.on_payload(USER, "nudge:snooze:9999-12-31") == []
    assert await store.schedule(USER) == before


async def test_changing_the_time_without_finishing_keeps_todays_reminder(bot):
    conversation, store, clock, loop, sent = bot
    await set_up(conversation, at="21:00")
    clock.at("2026-03-27 12:00", "Europe/London")
    [zones] = await conversation.on_payload(USER, ScheduleStep("start").pack())
    await conversation.on_text(USER, "22:00")  # and never taps the days
    clock.at("2026-03-27 22:01", "Europe/London")
    assert await loop.tick() == 1
    clock.at("2026-03-27 23:30", "Europe/London")
    await conversation.on_payload(USER, ScheduleStep("start").pack())
    await conversation.on_text(USER, "23:45")  # later the same evening: not a second one
    clock.at("2026-03-27 23:50", "Europe/London")
    assert await loop.tick() == 0


async def test_a_question_left_open_lets_go(bot):
    conversation, store, clock, loop, sent = bot
    await conversation.on_payload(USER, Country("US").pack())
    await conversation.on_payload(USER, ScheduleStep("start").pack())
    [stopped] = await conversation.on_text(USER, "stop")
    assert "/schedule" in stopped.text
    [heard] = await conversation.on_text(USER, "hi")
    assert heard.text == "heard fake"


async def test_a_half_done_check_in_from_yesterday_takes_no_answers(bot):
    conversation, store, clock, loop, sent = bot
    [mood] = await conversation.on_payload(USER, CheckinStart().pack())
    await conversation.on_payload(USER, tap(mood, "3"))
    await store._db.execute("UPDATE checkins SET started_at = started_at - 86400")
    [heard] = await conversation.on_text(USER, "4")
    assert heard.text == "heard fake"


async def test_forgetting_the_journal_forgets_check_in_lines_too(bot):
    conversation, store, clock, loop, sent = bot
    await store.set_writing_consent(USER, True)
    [mood] = await conversation.on_payload(USER, CheckinStart().pack())
    [steady] = await conversation.on_payload(USER, tap(mood, "4"))
    [tags] = await conversation.on_payload(USER, tap(steady, "4"))
    await conversation.on_payload(USER, tap(tags, "That's all"))
    await conversation.on_text(USER, "a private line")
    assert (await store.checkins(USER, 0))[0]["note"] == "a private line"
    await commands.find("forget_journal", "telegram").handler(conversation, USER, [])
    assert (await store.checkins(USER, 0))[0]["note"] is None


async def test_no_reminder_offer_right_after_a_crisis_reply(bot):
    conversation, store, clock, loop, sent = bot
    await conversation.on_text(USER, "i took all my pills an hour ago")
    [country] = await conversation.on_payload(USER, Country("GB").pack())
    assert "reminder" not in country.text and not country.buttons


async def test_chosen_days_are_tapped_on_and_off(bot):
    conversation, store, clock, loop, sent = bot
    [offer] = await conversation.on_payload(USER, Country("GB").pack())
    await conversation.on_payload(USER, tap(offer, "Yes, set it up"))
    [days] = await conversation.on_text(USER, "7:15")
    [choose] = await conversation.on_payload(USER, tap(days, "Choose days"))
    [nothing] = await conversation.on_payload(USER, tap(choose, "Done"))
    assert "at least one" in nothing.text
    for name in ("Mon", "Wed", "Fri", "Sat"):
        [choose] = await conversation.on_payload(USER, tap(choose, name))
    [choose] = await conversation.on_payload(USER, tap(choose, "✓ Sat"))  # and off again
    assert [b.title for b in choose.buttons][:4] == ["✓ Mon", "Tue", "✓ Wed", "Thu"]
    [done] = await conversation.on_payload(USER, tap(choose, "Done"))
    assert "on Mon, Wed and Fri" in done.text and "Mon 30 Mar, 07:15" in done.text
    assert (await store.schedule(USER))["days"] == "024"
    [which] = await conversation.on_payload(USER, tap(done, "Add a weekly look back"))
    assert [b.title for b in which.buttons] == ["Mon", "Wed", "Fri"]
    [weekly] = await conversation.on_payload(USER, tap(which, "Fri"))
    assert "on Fridays" in weekly.text and (await store.schedule(USER))["weekly"] == 4


@pytest.mark.parametrize(
    ("typed", "days"),
    [
        ("weekdays", "01234"),
        ("Mon, Wed and Fri", "024"),
        ("sundays", "6"),
        ("every day", "0123456"),
    ],
)
async def test_the_days_can_be_typed(bot, typed, days):
    conversation, store, clock, loop, sent = bot
    [offer] = await conversation.on_payload(USER, Country("GB").pack())
    await conversation.on_payload(USER, tap(offer, "Yes, set it up"))
    await conversation.on_text(USER, "8:00")
    [again] = await conversation.on_text(USER, "hmm")  # not days: the days again, to tap
    assert "Done" in [b.title for b in again.buttons]
    [done] = await conversation.on_text(USER, typed)
    assert "reminder at 08:00" in done.text
    assert (await store.schedule(USER))["days"] == days
