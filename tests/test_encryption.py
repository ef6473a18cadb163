"""Issue 17: what people write is sealed with the data key in every column that holds it, a
database written before encryption is sealed on its first open, a wrong key is refused, and
`rotate-key` moves everything to the newest key."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from bot.crypto import DataKeyError, Sealer, new_key
from bot.settings import ROOT
from bot.store import MIGRATIONS, SEALED, Store
from tests.conftest import DATA_KEY

WORDS = "my-secret-sentence-about-the-affair"


async def write_everywhere(store: Store, user_id: int = 1) -> None:
    """The words through every store method that keeps text."""
    await store.touch_user(user_id)
    await store.receive([(100, user_id, "message", json.dumps({"text": WORDS}))])
    await store.queue_sends([(user_id, 0, "sendMessage", json.dumps({"text": WORDS}))])
    await store.finish_turn([100], "done", [(user_id, 0, "sendMessage", json.dumps({"t": WORDS}))])
    await store.append_events(str(user_id), [{"event": "bot", "text": WORDS, "timestamp": 1.0}])
    await store.start_reflection(user_id, "name_the_hurt")
    reflection_id = (await store.active_reflection(user_id))[0]
    await store.save_reflection(reflection_id, 1, {"what": WORDS}, finished=True)
    await store.add_journal_entry(user_id, "a prompt", WORDS)
    checkin = await store.start_checkin(user_id)
    await store.save_checkin({**checkin, "note": WORDS, "mood": 3}, finished=True)
    await store.ask_safety(user_id + 1, "self_harm", WORDS)


def raw(folder) -> bytes:
    return b"".join(f.read_bytes() for f in folder.iterdir() if f.name.startswith("bot.sqlite3"))


async def test_every_column_that_holds_words_is_sealed_and_reads_back(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    await write_everywhere(store)
    assert WORDS.encode() not in raw(tmp_path)  # the database, its -wal and -shm

    # ...and every path reads the words back.
    assert (await store.waiting_updates(1, 10)) == []  # done: its text went with it
    unsent = [json.loads(row["body"]) for row in await store.next_sends()]
    assert unsent == [{"text": WORDS}]
    assert (await store.session_events("1"))[0]["text"] == WORDS
    assert (await store.finished_reflections(1)) == [("name_the_hurt", {"what": WORDS})]
    assert (await store.journal_entries(1))[0]["entry"] == WORDS
    assert (await store.checkins(1, 0))[0]["note"] == WORDS
    assert (await store.take_safety_check(2, 0)) == ("self_harm", WORDS)
    await store.close()
    assert WORDS.encode() not in raw(tmp_path)


async def test_a_database_from_before_encryption_is_sealed_on_first_open(tmp_path):
    path = tmp_path / "bot.sqlite3"
    old = sqlite3.connect(path)  # as version 10 left it: every column in plain text
    for version, script in enumerate(MIGRATIONS[:10]):
        old.executescript(f"{script}\nPRAGMA user_version = {version + 1};")
    old.execute(
        "INSERT INTO tracker_events (sender_id, type_name, data) VALUES ('1', 'bot', ?)",
        (json.dumps({"event": "bot", "text": WORDS, "timestamp": 5.0}),),
    )
    old.execute(
        "INSERT INTO journal (user_id, prompt, entry, written_at) VALUES (1, 'p', ?, 1)", (WORDS,)
    )
    old.commit()
    old.close()

    store = await Store.open(path, DATA_KEY)
    assert (await store.session_events("1"))[0]["text"] == WORDS
    assert (await store.journal_entries(1))[0]["entry"] == WORDS
    await store.close()
    assert WORDS.encode() not in raw(tmp_path)
    with sqlite3.connect(path) as db:  # the event's time came out of its data, for the sweep
        assert db.execute("SELECT at FROM tracker_events").fetchall() == [(5.0,)]


async def test_a_key_that_did_not_write_the_database_is_refused(tmp_path):
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path, DATA_KEY)
    await write_everywhere(store)
    await store.close()
    with pytest.raises(DataKeyError, match="written with another key"):
        await Store.open(path, new_key())
    # A new key in front of the old one opens it: the old one still reads old values.
    store = await Store.open(path, f"{new_key()},{DATA_KEY}")
    assert (await store.journal_entries(1))[0]["entry"] == WORDS
    await store.close()


def test_malformed_keys_are_refused_without_echoing_them():
    for bad in ("", "not-a-key", f"{DATA_KEY},short"):
        with pytest.raises(DataKeyError) as raised:
            Sealer(bad)
        assert "short" not in str(raised.value) and "not-a-key" not in str(raised.value)


async def test_rotate_key_leaves_everything_readable_under_the_new_key_alone(tmp_path):
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path, DATA_KEY)
    await write_everywhere(store)
    await store.close()

    newer = new_key()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "rotate-key"],
        env={"BOT_DB_PATH": str(path), "BOT_DATA_KEY": f"{newer},{DATA_KEY}", "PATH": ""},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Re-encrypted" in result.stdout

    store = await Store.open(path, newer)  # the old key is gone from the setting
    assert (await store.session_events("1"))[0]["text"] == WORDS
    assert (await store.finished_reflections(1)) == [("name_the_hurt", {"what": WORDS})]
    assert (await store.journal_entries(1))[0]["entry"] == WORDS
    assert (await store.checkins(1, 0))[0]["note"] == WORDS
    assert json.loads((await store.next_sends())[0]["body"]) == {"text": WORDS}
    await store.close()
    with pytest.raises(DataKeyError):
        await Store.open(path, DATA_KEY)  # and the old key alone no longer opens it
    assert len(SEALED) == 7


async def test_the_daily_sweep_drops_old_events_and_long_inactive_people(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    await store.append_events("1", [{"event": "bot", "text": "old", "timestamp": 1_000.0}])
    await store.append_events("1", [{"event": "bot", "text": "new", "timestamp": 9_000.0}])
    await write_everywhere(store, user_id=7)
    await store.touch_user(20)
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.execute("UPDATE users SET last_seen = 10 WHERE user_id = 7")
    events, people = await store.sweep(events_before=5_000.0, seen_before=100.0)
    assert (events, people) == (2, 1)  # "old", and person 7's event (at 1.0)
    assert [e["text"] for e in await store.session_events("1")] == ["new"]
    assert await store.person_rows(7) == 0  # not seen for longer than the setting: all gone
    assert await store.person_rows(20) == 1
    await store.close()
