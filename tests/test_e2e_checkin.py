"""End to end: a check-in, /history's chart, and a reminder through the fake Bot API, with the
real bot, store and model; a 403 stops the reminders until the person is back."""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from bench.fake_telegram import Failure
from bot import schedule as calendar

USER = 6100
MESSAGE_IDS = itertools.count(50_000)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def payload_of(message: dict, title: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if b["text"] == title)


async def tap(fake_tg, message: dict, title: str) -> None:
    shown = {
        **message,
        "message_id": next(MESSAGE_IDS),
        "chat": {"id": USER, "type": "private"},
        "date": 0,
    }
    await fake_tg.tap(USER, shown, payload_of(message, title))


async def test_a_typed_request_starts_a_check_in_and_history_draws_it(start_bot, fake_tg):
    runner = await start_bot()
    await fake_tg.send_text(USER, "time for my daily check in")
    [mood] = await fake_tg.wait_for(chat_id=USER)
    assert "mood" in mood["text"].lower()
    await tap(fake_tg, mood, "4")
    steady = (await fake_tg.wait_for(chat_id=USER, count=2))[-1]
    await tap(fake_tg, steady, "3")
    tags = (await fake_tg.wait_for(chat_id=USER, count=3))[-1]
    await tap(fake_tg, tags, "Hopeful")
    tags = (await fake_tg.wait_for(chat_id=USER, count=4))[-1]
    await tap(fake_tg, tags, "That's all")
    closing = (await fake_tg.wait_for(chat_id=USER, count=5))[-1]
    assert "/history" in closing["text"]
    [done] = await runner.store.checkins(USER, 0)
    assert (done["mood"], done["steadiness"], done["tags"]) == (4, 3, ["hopeful"])

    await fake_tg.send_text(USER, "/history")
    [photo] = await fake_tg.wait_for(method="sendPhoto", chat_id=USER)
    png = photo["photo"]
    png = png if isinstance(png, bytes) else base64.b64decode(png)
    from matplotlib import image

    assert image.imread(io.BytesIO(png)).shape[1] >= 600
    assert "1 of the last 30 days" in photo["caption"]


async def test_a_reminder_goes_out_and_a_block_stops_the_next_ones(start_bot, fake_tg):
    clock = Clock()
    runner = await start_bot(clock=clock, due_interval=0.05)
    store = runner.store
    # A daily reminder whose time came a minute ago, in Berlin.
    at = datetime.fromtimestamp(clock.now - 60, ZoneInfo("Europe/Berlin")).strftime("%H:%M")
    due = calendar.next_due(clock.now - 120, "Europe/Berlin", at, frozenset(range(7)))
    await store.save_schedule(
        USER,
        zone="Europe/Berlin",
        at=at,
        days="0123456",
        due_at=due.due,
        due_day=due.day.isoformat(),
    )
    [nudge] = await fake_tg.wait_for(chat_id=USER)
    assert [b["text"] for row in nudge["reply_markup"]["inline_keyboard"] for b in row] == [
        "Check in now",
        "Snooze 1 h",
        "Skip today",
    ]
    assert (await store.schedule(USER))["due_at"] > clock.now  # moved on, once

    fake_tg.fail("sendMessage", Failure(403))
    clock.now = (await store.schedule(USER))["due_at"] + 1
    for _ in range(100):
        if await store.is_blocked(USER):
            break
        await asyncio.sleep(0.05)
    assert await store.is_blocked(USER)
    clock.now = (await store.schedule(USER))["due_at"] + 1
    await asyncio.sleep(0.5)
    assert len(fake_tg.sent(USER)) == 1  # nothing more while blocked

    unblocked = {
        "update_id": fake_tg.next_update_id(),
        "my_chat_member": {
            "chat": {"id": USER, "type": "private", "first_name": "Test"},
            "from": {"id": USER, "is_bot": False, "first_name": "Test"},
            "date": int(time.time()),
            "old_chat_member": {
                "status": "kicked",
                "user": {"id": 1, "is_bot": True, "first_name": "B"},
                "until_date": 0,
            },
            "new_chat_member": {
                "status": "member",
                "user": {"id": 1, "is_bot": True, "first_name": "B"},
            },
        },
    }
    await fake_tg.push(unblocked)
    await fake_tg.wait_for(chat_id=USER, count=2)  # the reminder that was due comes now
    assert not await store.is_blocked(USER)


async def test_a_thousand_reminders_survive_a_stop_midway_each_sent_once(
    start_bot, fake_tg, tmp_path
):
    """1,000 people due in the same minute; the bot stops after about 300 went out and starts
    again on the same database: everyone gets exactly one reminder (a send in flight at the
    stop may repeat, at most once). Some sends meet a 429 and a 500 on the way."""
    zone, now = "Europe/Berlin", time.time()
    at = datetime.fromtimestamp(now - 60, ZoneInfo(zone)).strftime("%H:%M")
    due = calendar.next_due(now - 120, zone, at, frozenset(range(7)))
    db = tmp_path / "reminders.sqlite3"
    first = await start_bot(agent_override=None, db_path=db, due_interval=0.05, load_model=False)
    people = range(7_000_000, 7_001_000)
    for person in people:
        await first.store.save_schedule(
            person, zone=zone, at=at, days="0123456", due_at=due.due, due_day=due.day.isoformat()
        )
    fake_tg.fail("sendMessage", Failure(429, retry_after=1), Failure(500))
    await fake_tg.wait_for(count=300, timeout=60)
    await first.stop()
    await start_bot(agent_override=None, db_path=db, due_interval=0.05, load_model=False)
    await fake_tg.wait_for(count=1000, timeout=120)
    await fake_tg.settle(quiet=1.0)
    per_person = {}
    for sent in fake_tg.sent():
        per_person[int(sent["chat_id"])] = per_person.get(int(sent["chat_id"]), 0) + 1
    assert set(per_person) == set(people)
    assert sum(count - 1 for count in per_person.values()) <= 1
