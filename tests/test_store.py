from __future__ import annotations

import sqlite3
import time

import pytest

from bot.store import MIGRATIONS, Store, _transaction
from tests.conftest import DATA_KEY


async def test_new_database_is_migrated_and_in_wal_mode(tmp_path):
    store = await Store.open(tmp_path / "x" / "bot.sqlite3", DATA_KEY)
    try:
        assert await store.schema_version() == len(MIGRATIONS)
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "x" / "bot.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "tracker_events", "inbox", "outbox"} <= tables


async def test_reopening_keeps_data_and_does_not_migrate_twice(tmp_path):
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path, DATA_KEY)
    assert await store.touch_user(1) is True
    await store.close()
    store = await Store.open(path, DATA_KEY)
    try:
        assert await store.touch_user(1) is False
        assert await store.schema_version() == len(MIGRATIONS)
    finally:
        await store.close()


async def test_database_from_newer_code_is_refused(tmp_path):
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer than this code"):
        await Store.open(path, DATA_KEY)


async def test_inbox_takes_an_update_once_and_forgets_its_text_when_done(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    try:
        assert await store.receive([(7, 1, "message", '{"text": "a"}')]) == [1]
        assert await store.receive([(7, 1, "message", '{"text": "a"}')]) == []  # redelivered
        assert await store.waiting_updates(1, 10) == [(7, "message", '{"text": "a"}')]
        await store.finish_turn([7], "done", [(1, 0, "sendMessage", '{"text": "hi"}')])
        assert await store.waiting_updates(1, 10) == []
        assert await store.receive([(7, 1, "message", '{"text": "a"}')]) == []  # still known
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        assert db.execute("SELECT body, outcome FROM inbox").fetchall() == [(None, "done")]


async def test_outbox_hands_out_each_chats_first_row_safety_first(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    try:
        await store.touch_user(1)
        await store.queue_sends([(1, 0, "sendMessage", "a1"), (1, 0, "sendMessage", "a2")])
        await store.queue_sends([(2, 0, "sendMessage", "b1"), (1, 1, "sendMessage", "crisis")])
        heads = await store.next_sends()
        assert [(r["chat_id"], r["body"]) for r in heads] == [(1, "crisis"), (2, "b1")]
        await store.sent(heads[0]["id"], 1, 55)
        await store.retry_send(heads[1]["id"], not_before=1e12)
        heads = await store.next_sends()
        assert [(r["chat_id"], r["body"], r["attempts"]) for r in heads] == [
            (1, "a1", 0),
            (2, "b1", 1),  # a row waiting to be retried keeps its chat's place
        ]
        await store.give_up_send(heads[0]["id"], "Forbidden")
        assert await store.outbox_counts() == {"waiting": 2, "sent": 1, "failed": 1}
        assert (55, pytest.approx(time.time(), abs=5)) in await store.chat_messages(1)
        await store.forget_person(1)
        [row] = [r for r in await store.next_sends() if r["chat_id"] == 1]  # sent after it
        await store.sent(row["id"], 1, 56)
        assert await store.chat_messages(1) == [] and await store.person_rows(1) == 0
    finally:
        await store.close()


async def test_answered_update_ids_survive_the_move_to_the_inbox(tmp_path):
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        for script in MIGRATIONS[:5]:
            db.executescript(script)
        db.execute("INSERT INTO processed_updates VALUES (41, ?)", (time.time(),))
        db.execute("PRAGMA user_version = 5")
    store = await Store.open(path, DATA_KEY)
    try:
        assert await store.receive([(41, 1, "message", "{}")]) == []
    finally:
        await store.close()


async def test_session_events_start_at_the_latest_session(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    try:
        old = [{"event": "session_started"}, {"event": "user", "text": "old"}]
        new = [{"event": "session_started"}, {"event": "user", "text": "new"}]
        await store.append_events("a", old)
        await store.append_events("b", [{"event": "user", "text": "other person"}])
        await store.append_events("a", new)
        assert await store.session_events("a") == new
        assert await store.count_session_events("a") == 2
        assert await store.session_events("a", all_sessions=True) == old + new
        assert await store.session_events("b") == [{"event": "user", "text": "other person"}]
        assert sorted(await store.tracker_senders()) == ["a", "b"]
    finally:
        await store.close()


async def test_many_rows_are_written_whole(tmp_path):
    """Beyond one statement's parameters the rows still go in, in order, all of them."""
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    events = [{"event": "slot", "name": "n", "value": i} for i in range(2500)]
    await store.append_events("7", events)
    assert await store.session_events("7") == events
    await store.remember_messages(5, list(range(1200)), 1.0)
    await store.forget_messages(5, list(range(0, 1200, 2)))
    assert [m for m, _ in await store.chat_messages(5)] == list(range(1, 1200, 2))
    await store.close()


async def test_a_failed_many_row_write_leaves_nothing_and_no_open_transaction(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    rows = [(5, m, 1.0) for m in range(1500)] + [(5, None, None)]  # the last row breaks NOT NULL
    with pytest.raises(sqlite3.IntegrityError):
        await store._insert("INSERT INTO chat_messages (chat_id, message_id, sent_at)", rows)
    assert await store.chat_messages(5) == []
    await store.remember_messages(6, [1], 1.0)  # autocommit again: visible to a new connection
    other = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    assert await other.chat_messages(6) == [(1, 1.0)]
    await other.close()
    await store.close()


def test_a_commit_that_fails_leaves_no_transaction_open(tmp_path):
    """A statement still in progress (a pragma's row not read) makes COMMIT fail; left open,
    the transaction would make every later write of the bot fail."""
    connection = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (a)")
    pending = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with pytest.raises(sqlite3.OperationalError, match="in progress"):
        _transaction(connection, [("INSERT INTO t VALUES (1)", ())])
    assert not connection.in_transaction
    del pending
    _transaction(connection, [("INSERT INTO t VALUES (2)", ())])
    assert connection.execute("SELECT a FROM t").fetchall() == [(2,)]
