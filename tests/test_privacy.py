"""Issue 17: /privacy says what is kept and for how long (the configured ages); /settings shows
the person's choices and turns keeping their writing on and off, and off deletes what was kept
under it; typed requests to delete or about privacy get those answers, not a topic menu."""

from __future__ import annotations

import pytest

from bot import commands
from bot.conversation import Conversation
from bot.flows import Options
from bot.payloads import Forget, Keep
from bot.store import Store
from tests.conftest import DATA_KEY
from tests.fake_dialogue import FakeDialogue

USER = 31


@pytest.fixture
async def talk(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    options = Options(keep_events_days=12, keep_inactive_days=200)
    yield Conversation(store, FakeDialogue(), model_wait=0, options=options)
    await store.close()


async def command(conversation: Conversation, name: str):
    return await commands.find(name, "telegram").handler(conversation, USER, [])


async def test_privacy_names_what_is_kept_and_the_configured_ages(talk):
    [said] = await command(talk, "privacy")
    assert "12 days" in said.text and "200 days" in said.text
    for promise in ("/export", "/forget", "/settings", "encrypted"):
        assert promise in said.text
    [welcome, *_] = await talk.start(USER)
    assert "/privacy" in welcome.text


async def test_settings_turn_keeping_on_and_off_and_off_deletes_what_was_kept(talk):
    store = talk.store
    await store.touch_user(USER)
    [shown] = await command(talk, "settings")
    assert "not chosen yet" in shown.text
    assert [b.payload for b in shown.buttons] == [Keep("yes").pack()]

    await talk.on_payload(USER, Keep("yes").pack())
    assert await store.writing_consent(USER) is True
    await store.add_journal_entry(USER, "a prompt", "what i wrote")
    checkin = await store.start_checkin(USER)
    await store.save_checkin({**checkin, "mood": 3, "note": "a line"}, finished=True)
    [shown] = await command(talk, "settings")
    assert "on, encrypted" in shown.text
    assert [b.payload for b in shown.buttons] == [Keep("no").pack()]

    await talk.on_payload(USER, Keep("no").pack())
    assert await store.writing_consent(USER) is False
    assert await store.journal_entries(USER) == []
    [kept] = await store.checkins(USER, 0)
    assert kept["note"] is None and kept["mood"] == 3  # the check-in stays, its line goes


@pytest.mark.parametrize(
    "said",
    [
        "can u erase all the stuff i wrote in here, i dont want any of it saved",
        "How would I go about getting every message I sent you deleted?",
    ],
)
async def test_a_typed_request_to_delete_leads_to_the_forget_buttons(said, conversation):
    replies = await conversation.on_text(USER, said)
    payloads = [b.payload for reply in replies for b in reply.buttons]
    assert Forget("yes").pack() in payloads and Forget("no").pack() in payloads


async def test_a_typed_privacy_question_points_to_privacy(conversation):
    replies = await conversation.on_text(USER, "can someone on your end actually read these chats?")
    assert any("/privacy" in reply.text for reply in replies)
