"""/forget (issue 17): after a confirmation, every row about the person goes, and what they wrote
is not left readable in the database or its write-ahead log."""

from __future__ import annotations

import time

from bot.conversation import Conversation
from bot.payloads import Forget
from bot.store import Store
from tests.conftest import DATA_KEY
from tests.fake_dialogue import FakeDialogue

SECRET = "the-sentence-only-person-one-wrote"


async def fill(store: Store, user_id: int, words: str) -> None:
    """A row in every table that can hold something about a person."""
    await store.touch_user(user_id)
    await store.remember(user_id, "position", "hurt")
    await store.add_journal_entry(user_id, "a prompt", words)
    await store.start_checkin(user_id)
    await store.save_schedule(user_id, zone="Europe/London", at="21:00")
    await store.append_events(str(user_id), [{"event": "user", "text": words}])
    await store.start_reflection(user_id, "name_the_hurt")
    await store.remember_messages(user_id, [1, 2], time.time())
    await store.ask_safety(user_id, "self_harm", words)


def unreadable(folder) -> None:
    for name in ("bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm"):
        file = folder / name
        if file.exists():
            assert SECRET.encode() not in file.read_bytes(), name


async def test_forget_asks_first_then_deletes_everything_about_the_person(tmp_path):
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path, DATA_KEY)
    conversation = Conversation(store, FakeDialogue(), model_wait=0)
    await fill(store, 1, SECRET)
    await fill(store, 2, "what person two wrote")
    before = await store.person_rows(1)
    assert before >= 9

    asked = conversation.forget_question()
    assert [b.payload for b in asked.buttons] == [Forget("yes").pack(), Forget("no").pack()]
    await conversation.on_payload(1, Forget("no").pack())
    assert await store.person_rows(1) == before  # "no" keeps everything

    [done] = await conversation.on_payload(1, Forget("yes").pack())
    assert "deleted" in done.text
    assert await store.person_rows(1) == 0
    assert await store.person_rows(2) == before  # nobody else's rows
    # Read while the bot still runs (closing would fold the log in anyway): no copy left in the
    # write-ahead log, and none in the database's free pages.
    unreadable(tmp_path)
    await store.close()
    unreadable(tmp_path)

    reopened = await Store.open(path, DATA_KEY)  # and after a restart
    assert await reopened.person_rows(1) == 0
    assert await reopened.recall(1) == {}
    await reopened.close()
