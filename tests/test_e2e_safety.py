"""End to end: crisis and abuse are answered with helplines before anything else."""

from __future__ import annotations

import time

from tests.conftest import make_settings

USER = 4242002


def texts(fake_tg, user=USER) -> list[str]:
    return [m["text"] for m in fake_tg.sent(user)]


async def choose_country(fake_tg, code: str) -> None:
    await fake_tg.send_text(USER, f"/country {code}")
    await fake_tg.wait_for(chat_id=USER)
    fake_tg.calls.clear()


async def test_sos_works_before_start(start_bot, fake_tg):
    await start_bot()
    await fake_tg.send_text(USER, "/sos")
    help_text, stay = await fake_tg.wait_for(chat_id=USER, count=2)
    assert "findahelpline.com" in help_text["text"]
    assert "local emergency number" in help_text["text"]
    assert "/country" in help_text["text"]
    assert stay["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ex:menu"


async def test_onboarding_country_sets_the_helplines(start_bot, fake_tg, agent):
    runner = await start_bot()
    await fake_tg.send_text(USER, "/start")
    _, question = await fake_tg.wait_for(chat_id=USER, count=2)
    buttons = [row[0] for row in question["reply_markup"]["inline_keyboard"]]
    assert {"country:GB", "country:US", "country:other"} <= {b["callback_data"] for b in buttons}
    sent = {**question, "message_id": 50, "chat": {"id": USER, "type": "private"}, "date": 0}
    await fake_tg.tap(USER, sent, "country:GB")
    await fake_tg.wait_for(chat_id=USER, count=3)
    assert "United Kingdom" in texts(fake_tg)[2]
    assert await runner.store.country(USER) == "GB"

    await fake_tg.send_text(USER, "honestly i want to kill myself")
    crisis, stay = (await fake_tg.wait_for(chat_id=USER, count=5))[3:]
    assert "Samaritans: call 116 123" in crisis["text"]
    assert "call 999" in crisis["text"]
    assert "breath" not in crisis["text"].lower()  # no coaching in the crisis reply
    assert stay["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ex:menu"
    assert await runner.store.is_quiet(USER)
    assert not await runner.store.is_quiet(USER, now=time.time() + 25 * 3600)


async def test_abuse_asks_about_safety_and_offers_discretion(start_bot, fake_tg):
    await start_bot()
    await choose_country(fake_tg, "US")
    await fake_tg.send_text(USER, "my boyfriend choked me last night and i'm scared to go home")
    reply, _ = await fake_tg.wait_for(chat_id=USER, count=2)
    assert "Are you safe to talk right now?" in reply["text"]
    assert "1-800-799-7233" in reply["text"]
    assert "call 911" in reply["text"]
    assert "/clear" in reply["text"]


async def test_crisis_interrupts_a_flow_in_progress(start_bot, fake_tg, texts_of):
    await start_bot()
    await fake_tg.send_text(USER, "its been hours and she wont answer, my chest is so tight")
    _, offer = await fake_tg.wait_for(chat_id=USER, count=2)
    assert offer["text"] in texts_of("utter_offer_breathing")
    await fake_tg.send_text(USER, "actually i just want to end it all")
    crisis, _ = (await fake_tg.wait_for(chat_id=USER, count=4))[2:]
    assert "findahelpline.com" in crisis["text"]
    await fake_tg.send_text(USER, "yes")
    after = (await fake_tg.wait_for(chat_id=USER, count=5))[4]
    # The old "shall we breathe?" question is gone: "yes" no longer starts the exercise.
    assert "how intense is it" not in after["text"]


async def test_edited_message_that_adds_crisis_language_is_caught(start_bot, fake_tg):
    await start_bot()
    first = await fake_tg.send_text(USER, "he went out again without telling me")
    await fake_tg.wait_for(chat_id=USER)
    count = len(fake_tg.sent(USER))
    edited = dict(first["message"], text="he went out again. he hit me before he left")
    await fake_tg.push({"update_id": fake_tg.next_update_id(), "edited_message": edited})
    reply = (await fake_tg.wait_for(chat_id=USER, count=count + 1))[count]
    assert "Are you safe to talk right now?" in reply["text"]


async def test_harmless_edit_gets_no_second_answer(start_bot, fake_tg):
    await start_bot()
    first = await fake_tg.send_text(USER, "hi there")
    await fake_tg.wait_for(chat_id=USER)
    edited = dict(first["message"], text="hi there!")
    await fake_tg.push({"update_id": fake_tg.next_update_id(), "edited_message": edited})
    await fake_tg.settle()
    assert len(fake_tg.sent(USER)) == 1


async def test_crisis_in_a_photo_caption_is_caught(start_bot, fake_tg):
    await start_bot()
    photo = {
        "photo": [{"file_id": "p", "file_unique_id": "p", "width": 9, "height": 9}],
        "caption": "this is what he did to my arm, he beat me",
    }
    await fake_tg.push(fake_tg.message_update(USER, photo))
    crisis, _, note = await fake_tg.wait_for(chat_id=USER, count=3)
    assert "Are you safe to talk right now?" in crisis["text"]  # the crisis reply goes first
    assert "can't see pictures" in note["text"]


async def test_crisis_is_answered_when_the_model_failed_to_load(fake_tg, tmp_path):
    from bot.runner import BotRunner

    settings = make_settings(tmp_path / "bot.sqlite3", fake_tg.base_url)
    settings = type(settings)(**{**settings.__dict__, "model_path": tmp_path / "missing.tar.gz"})
    runner = BotRunner(settings, poll_timeout=1)
    await runner.start()
    try:
        await runner.wait_model()
        assert not runner.dialogue.ready
        await fake_tg.send_text(USER, "i took all my pills")
        crisis, _ = await fake_tg.wait_for(chat_id=USER, count=2)
        assert "findahelpline.com" in crisis["text"]
        await fake_tg.send_text(USER, "he didn't text back")
        failed = (await fake_tg.wait_for(chat_id=USER, count=3))[2]
        assert "/sos" in failed["text"] and "wrong on my side" in failed["text"]
    finally:
        await runner.stop()


async def test_clear_deletes_what_it_may_and_says_what_it_could_not(start_bot, fake_tg):
    runner = await start_bot()
    await fake_tg.send_text(USER, "hello")
    await fake_tg.wait_for(chat_id=USER, count=1)
    await fake_tg.send_text(USER, "thanks")  # after the answer, or the two would be one turn
    await fake_tg.wait_for(chat_id=USER, count=2)
    three_days_ago = time.time() - 3 * 24 * 3600
    old = {900001, 900002}  # ids the fake server never hands out
    await runner.store.remember_messages(USER, sorted(old), three_days_ago)
    recent = [m for m, at in await runner.store.chat_messages(USER) if at > three_days_ago]
    fake_tg.undeletable.add(recent[0])

    await fake_tg.send_text(USER, "/clear")
    replies = await fake_tg.wait_for(chat_id=USER, count=3)
    deleted = {int(c["message_id"]) for c in fake_tg.sent(method="deleteMessage")}
    # everything recent was tried, including the /clear command itself; nothing old was
    assert len(deleted) == len(recent) + 1 and not deleted & old
    report = replies[2]["text"]
    assert f"deleted {len(recent)} message(s)" in report
    assert "3 message(s) could not be deleted" in report
    assert "48 hours" in report
    # only the report itself is left to delete next time
    await fake_tg.settle()
    assert len(await runner.store.chat_messages(USER)) == 1


async def _model_hears(fake_tg, intent: str) -> dict:
    """The Rasa model alone hearing a crisis: its intent, as a button payload would name it
    (the screen's detector now hears almost every message the model was trained on)."""
    await fake_tg.tap(
        USER,
        {"message_id": 69, "chat": {"id": USER, "type": "private"}, "date": 0, "text": "?"},
        f"/{intent}",
    )
    [check] = await fake_tg.wait_for(chat_id=USER)
    return check


async def test_model_only_signal_asks_instead_of_deciding(start_bot, fake_tg):
    """A crisis only the model hears: the person is asked first."""
    runner = await start_bot()
    check = await _model_hears(fake_tg, "self_harm")
    assert "thoughts of hurting yourself" in check["text"]
    payloads = [row[0]["callback_data"] for row in check["reply_markup"]["inline_keyboard"]]
    assert payloads == ["safety:self_harm", "safety:ok"]
    assert not await runner.store.is_quiet(USER)  # nothing decided yet

    sent = {**check, "message_id": 70, "chat": {"id": USER, "type": "private"}, "date": 0}
    await fake_tg.tap(USER, sent, "safety:self_harm")
    crisis = (await fake_tg.wait_for(chat_id=USER, count=3))[1]
    assert "findahelpline.com" in crisis["text"]
    assert await runner.store.is_quiet(USER)


async def test_saying_no_to_the_check_continues_kindly(start_bot, fake_tg):
    await start_bot()
    check = await _model_hears(fake_tg, "abuse")
    assert "is someone hurting you" in check["text"]
    sent = {**check, "message_id": 71, "chat": {"id": USER, "type": "private"}, "date": 0}
    await fake_tg.tap(USER, sent, "safety:ok")
    reply = (await fake_tg.wait_for(chat_id=USER, count=2))[1]
    assert "Tell me more" in reply["text"] and "/sos" in reply["text"]


async def test_crisis_is_not_held_up_by_someone_waiting_for_the_model(fake_tg, tmp_path):
    from bot.runner import BotRunner

    runner = BotRunner(
        make_settings(tmp_path / "bot.sqlite3", fake_tg.base_url),
        poll_timeout=1,
        load_model=False,
        model_wait=4,
    )
    await runner.start()
    try:
        await fake_tg.send_text(USER, "he still hasn't texted me back")  # waits for the model
        await fake_tg.send_text(USER + 1, "i want to die tonight")
        [crisis, _] = await fake_tg.wait_for(chat_id=USER + 1, count=2, timeout=3)
        assert "findahelpline.com" in crisis["text"]
        assert fake_tg.sent(USER) == []  # the first person is still waiting, and not lost
        [loading] = await fake_tg.wait_for(chat_id=USER, timeout=10)
        assert "waking up" in loading["text"]
    finally:
        await runner.stop()
