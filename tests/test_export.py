"""/export (GDPR art. 20): a month of someone's activity in a real SQLite store comes back, all of
it and only theirs, as one JSON record and one CSV table; someone with nothing stored, or who
used /forget, gets the same two files, empty."""

from __future__ import annotations

import csv
import io
import json
import stat
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

import bot.store
from bot import commands, export
from bot.console import save
from bot.conversation import Conversation
from bot.replies import Attachment
from bot.store import Store
from tests.conftest import DATA_KEY
from tests.fake_dialogue import FakeDialogue

USER, OTHER, NOBODY = 4200, 4201, 4299
DAY = 24 * 3600
START = datetime(2026, 3, 1, 20, 0, tzinfo=timezone.utc).timestamp()
NOTE = 'he came home on time, I felt "calm" 🙂'
JOURNAL = "I can tell the difference between then and now."
EXERCISE_DAYS = (0, 6, 12, 18, 24)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def time(self) -> float:
        return self.now


@pytest.fixture
async def store_clock(tmp_path, monkeypatch):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    clock = Clock()
    # The store stamps rows with time.time(): its clock moves through the month instead.
    monkeypatch.setattr(bot.store, "time", SimpleNamespace(time=clock.time))
    yield store, clock
    await store.close()


def events(day: float) -> list[dict]:
    """One turn as Rasa stores it (Event.as_dict), with the bookkeeping around it."""
    return [
        {"event": "session_started", "timestamp": day},
        {"event": "action", "timestamp": day, "name": "action_listen", "policy": None},
        {"event": "user_featurization", "timestamp": day + 1, "use_text_for_featurization": False},
        {
            "event": "user",
            "timestamp": day + 1,
            "parse_data": {
                "intent": {"name": "checking_urge", "confidence": 0.93},
                "entities": [{"entity": "position", "value": "hurt", "role": "said", "start": 0}],
                "message_id": "m1",
                "metadata": {},
            },
            "input_channel": "telegram",
            "message_id": "m1",
            "metadata": {},
        },
        {"event": "slot", "timestamp": day + 1, "name": "position", "value": "hurt"},
        {"event": "action", "timestamp": day + 2, "name": "utter_checking_urge", "policy": "x"},
        {
            "event": "bot",
            "timestamp": day + 2,
            "metadata": {"utter_action": "utter_checking_urge"},
            "text": "That pull to check is strong.",
            "data": {},
        },
        {"event": "action", "timestamp": day + 2, "name": "action_listen", "policy": "x"},
    ]


async def a_month(store: Store, clock: Clock, user_id: int, note: str = NOTE) -> None:
    """Thirty days of check-ins, five rated exercises, three journal answers, a reflection,
    a reminder, what the conversation remembered and one turn of it."""
    clock.now = START
    await store.touch_user(user_id)
    await store.set_country(user_id, "GB")
    await store.set_writing_consent(user_id, True)
    await store.save_schedule(user_id, zone="Europe/London", at="21:00", days="0123456")
    await store.remember(user_id, "position", "hurt")
    await store.append_events(str(user_id), events(START))
    for day in range(30):
        clock.now = START + day * DAY
        checkin = await store.start_checkin(user_id)
        tags = ["hopeful", "tired"] if day % 2 else ["anxious"]
        checkin.update(step="done", mood=1 + day % 5, steadiness=5 - day % 5, tags=tags)
        checkin["note"] = f"day {day}: {note}"
        await store.save_checkin(checkin, finished=True)
        if day in EXERCISE_DAYS:
            run_id = await store.start_exercise(user_id, "box_breathing", "before", {})
            run = await store.exercise(run_id)
            await store.save_exercise({**run, "step": "playing", "before": 8})
            await store.finish_exercise(run_id, "done", after=3)
        if day % 10 == 0:
            await store.add_journal_entry(user_id, "What is different now?", f"{JOURNAL} {day}")
    await store.start_reflection(user_id, "name_the_hurt")
    reflection_id, *_ = await store.active_reflection(user_id)
    answers = {"what": "the messages", "felt": "small"}
    await store.save_reflection(reflection_id, 3, answers, finished=True)
    await store.start_checkin(user_id)  # one left unfinished: not a check-in yet


async def files(store: Store, user_id: int) -> tuple[dict, list[dict], bytes]:
    record = await export.gather(store, user_id)
    document = export.as_json(record, START + 31 * DAY)
    table = export.as_csv(record).decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(table))
    rows = list(reader)
    assert tuple(reader.fieldnames) == export.CSV_COLUMNS
    return json.loads(document), rows, document


async def test_a_month_of_activity_comes_back_whole(store_clock):
    store, clock = store_clock
    await a_month(store, clock, USER)
    await a_month(store, clock, OTHER, note="what the other person wrote")
    data, rows, raw = await files(store, USER)

    assert data["exported_at"] == "2026-04-01T20:00:00+00:00"
    profile = data["profile"]
    assert profile["user_id"] == USER and profile["country"] == "GB"
    assert profile["journal_consent"] is True
    assert profile["created_at"] == "2026-03-01T20:00:00+00:00"
    assert profile["quiet_until"] is None and profile["blocked_at"] is None
    assert data["schedule"]["zone"] == "Europe/London" and data["schedule"]["at"] == "21:00"
    assert datetime.fromisoformat(data["schedule"]["updated_at"]).tzinfo == timezone.utc

    checkins = data["checkins"]
    assert len(checkins) == 30
    assert checkins[3]["note"] == f"day 3: {NOTE}"  # decrypted, emoji and all
    assert checkins[3]["started_at"] == "2026-03-04T20:00:00+00:00"
    assert (checkins[3]["mood"], checkins[3]["steadiness"]) == (4, 2)
    assert checkins[3]["tags"] == ["hopeful", "tired"]
    exercises = data["exercises"]
    assert len(exercises) == len(EXERCISE_DAYS)
    assert {(e["name"], e["before"], e["after"], e["outcome"]) for e in exercises} == {
        ("box_breathing", 8, 3, "done")
    }
    assert [e["started_at"][:10] for e in exercises][:2] == ["2026-03-01", "2026-03-07"]
    assert [j["entry"] for j in data["journal"]] == [f"{JOURNAL} {d}" for d in (0, 10, 20)]
    assert data["journal"][0]["prompt"] == "What is different now?"
    assert data["reflections"] == [
        {"flow": "name_the_hurt", "answers": {"what": "the messages", "felt": "small"}}
    ]
    assert [(m["key"], m["value"]) for m in data["memory"]] == [("position", "hurt")]

    conversation = data["conversation"]
    assert [e["type"] for e in conversation] == ["session_started", "user", "slot", "action", "bot"]
    said, slot, action, answered = conversation[1:]
    assert said["intent"] == "checking_urge" and said["at"] == "2026-03-01T20:00:01+00:00"
    assert said["entities"] == [{"entity": "position", "value": "hurt", "role": "said"}]
    assert (slot["name"], slot["value"]) == ("position", "hurt")
    assert action["name"] == "utter_checking_urge"
    assert answered["response"] == "utter_checking_urge"
    assert answered["text"] == "That pull to check is strong."

    assert [r["kind"] for r in rows].count("checkin") == 30
    assert [r["kind"] for r in rows].count("exercise") == len(EXERCISE_DAYS)
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    day3 = next(r for r in rows if r["kind"] == "checkin" and r["date"].startswith("2026-03-04"))
    assert day3["note"] == f"day 3: {NOTE}"
    assert (day3["mood"], day3["steadiness"], day3["tags"]) == ("4", "2", "hopeful;tired")
    assert day3["exercise"] == day3["before"] == day3["outcome"] == ""
    rated = next(r for r in rows if r["kind"] == "exercise")
    assert (rated["exercise"], rated["before"], rated["after"]) == ("box_breathing", "8", "3")
    assert rated["mood"] == rated["note"] == ""

    assert b"what the other person wrote" not in raw  # nobody else's data


EMPTY = {
    "profile": None,
    "schedule": None,
    "checkins": [],
    "exercises": [],
    "journal": [],
    "reflections": [],
    "memory": [],
    "conversation": [],
}


async def test_someone_with_nothing_stored_gets_an_empty_record(store_clock):
    store, _ = store_clock
    data, rows, _ = await files(store, NOBODY)
    assert data.pop("exported_at")
    assert data == EMPTY
    assert rows == []


async def test_after_forget_the_export_is_empty(store_clock):
    store, clock = store_clock
    await a_month(store, clock, USER)
    await store.forget_person(USER)
    data, rows, _ = await files(store, USER)
    del data["exported_at"]
    assert data == EMPTY
    assert rows == []


async def test_the_command_answers_with_the_two_files(store_clock):
    store, clock = store_clock
    await a_month(store, clock, USER)
    conversation = Conversation(store, FakeDialogue(), model_wait=0)
    everything, table = await commands.find("export", "telegram").handler(conversation, USER, [])
    assert (everything.file.name, everything.file.kind) == (export.JSON_NAME, "document")
    assert (table.file.name, table.file.kind) == (export.CSV_NAME, "document")
    assert "everything I keep about you" in everything.text
    assert len(json.loads(everything.file.data)["checkins"]) == 30
    rows = csv.DictReader(io.StringIO(table.file.data.decode("utf-8-sig")))
    assert f"day 3: {NOTE}" in [row["note"] for row in rows]
    assert commands.find("export", "console") is not None


def test_the_console_writes_a_file_only_its_user_can_read(tmp_path):
    path = save(Attachment(export.JSON_NAME, b"{}"), tmp_path / "files")
    assert path == tmp_path / "files" / export.JSON_NAME
    assert path.read_bytes() == b"{}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
