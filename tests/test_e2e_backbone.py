"""End to end: the real bot and python-telegram-bot client against the fake Bot API."""

from __future__ import annotations

import io
import logging

from telegram import Update

from bot import commands
from bot.logs import configure_logging
from tests.conftest import TOKEN

USER = 4242001


async def test_start_welcomes_and_sets_commands(start_bot, fake_tg):
    await start_bot()
    await fake_tg.send_text(USER, "/start")
    welcome, country = await fake_tg.wait_for(chat_id=USER, count=2)
    assert "not a therapist" in welcome["text"]
    assert "/sos" in welcome["text"] and "18+" in welcome["text"]
    assert "which country" in country["text"]
    commands = fake_tg.sent(method="setMyCommands")
    assert {c["command"] for c in commands[0]["commands"]} >= {"start", "help", "sos", "clear"}


async def test_checking_urge_gets_calm_body_first_reply(start_bot, fake_tg, texts_of):
    await start_bot()
    await fake_tg.send_text(USER, "I really want to go through his phone")
    urge, offer = await fake_tg.wait_for(chat_id=USER, count=2)
    assert urge["text"] in texts_of("utter_checking_urge")
    assert offer["text"] in texts_of("utter_offer_urge_delay")
    payloads = [row[0]["callback_data"] for row in offer["reply_markup"]["inline_keyboard"]]
    assert payloads == ["ex:start:urge_delay", "ex:menu", "/deny"]


async def test_button_tap_continues_the_dialogue(start_bot, fake_tg, texts_of):
    await start_bot()
    await fake_tg.send_text(USER, "my heart is pounding, she hasn't answered in hours")
    _, offer = await fake_tg.wait_for(chat_id=USER, count=2)
    sent_offer = {**offer, "message_id": 99, "chat": {"id": USER, "type": "private"}, "date": 0}
    await fake_tg.tap(USER, sent_offer, "/deny")
    replies = await fake_tg.wait_for(chat_id=USER, count=3)
    assert replies[2]["text"] in texts_of("utter_no_pressure")
    [edit] = await fake_tg.wait_for("editMessageText")
    assert edit["text"].startswith(offer["text"]) and "→" in edit["text"]
    assert "reply_markup" not in edit  # the keyboard is gone, so it cannot be tapped twice
    assert fake_tg.sent(method="answerCallbackQuery")


async def test_forged_button_payload_is_ignored(start_bot, fake_tg):
    await start_bot()
    message = {"message_id": 5, "date": 0, "chat": {"id": USER, "type": "private"}, "text": "x"}
    await fake_tg.tap(USER, message, "I want to hurt someone")
    await fake_tg.wait_for("answerCallbackQuery")
    await fake_tg.settle()
    assert fake_tg.sent(USER) == []


async def test_sticker_and_photo_get_a_kind_text_only_reply(start_bot, fake_tg):
    await start_bot()
    sticker = {
        "sticker": {
            "file_id": "s",
            "file_unique_id": "s",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
    }
    await fake_tg.push(fake_tg.message_update(USER, sticker))
    [reply] = await fake_tg.wait_for(chat_id=USER)
    assert "only read text" in reply["text"]
    voice = {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}}
    await fake_tg.push(fake_tg.message_update(USER, voice))
    await fake_tg.wait_for(chat_id=USER, count=2)


async def test_redelivered_update_is_answered_once(start_bot, fake_tg):
    await start_bot()
    update = await fake_tg.send_text(USER, "hello")
    await fake_tg.wait_for(chat_id=USER)
    await fake_tg.redeliver(update)
    await fake_tg.send_text(USER, "thanks")
    await fake_tg.wait_for(chat_id=USER, count=2)
    await fake_tg.settle()
    assert len(fake_tg.sent(USER)) == 2


async def test_conversation_survives_a_restart(start_bot, fake_tg, texts_of, tmp_path):
    first = await start_bot()
    await fake_tg.send_text(USER, "it's been four hours since he texted and my chest is tight")
    _, offer = await fake_tg.wait_for(chat_id=USER, count=2)
    assert offer["text"] in texts_of("utter_offer_breathing")
    await first.stop()

    await start_bot(db_path=tmp_path / "bot.sqlite3")
    await fake_tg.send_text(USER, "yes please")
    replies = await fake_tg.wait_for(chat_id=USER, count=3)
    # Without the stored tracker, "yes" would get the generic acknowledgement instead of
    # starting the breathing exercise (its first step asks how intense it is).
    assert "how intense is it" in replies[2]["text"]


async def test_long_messages_are_answered_and_replies_fit(start_bot, fake_tg):
    await start_bot()
    await fake_tg.send_text(USER, "i keep thinking he is lying to me " * 160)
    replies = await fake_tg.wait_for(chat_id=USER)
    assert all(0 < len(r["text"]) <= 4096 for r in replies)


async def test_logs_hold_neither_message_text_nor_token(start_bot, fake_tg, capfd):
    stream = io.StringIO()
    configure_logging(secrets=[TOKEN], stream=stream)
    secret_words = "zebra-umbrella-4417 i want to check her phone"
    try:
        await start_bot()
        await fake_tg.send_text(USER, "/start")
        await fake_tg.send_text(USER, secret_words)
        await fake_tg.wait_for(chat_id=USER, count=4)
        logging.getLogger("telegram.ext").info("token %s seen", TOKEN)  # redaction is tested too
        # python-telegram-bot logs a whole update when it cannot build a context for it.
        update = Update.de_json(fake_tg.message_update(USER, {"text": secret_words}), None)
        logging.getLogger("telegram.ext").critical("Error for update %s", update)
    finally:
        logging.getLogger().handlers.clear()
    out, err = capfd.readouterr()
    everything = stream.getvalue() + out + err
    assert "token [redacted] seen" in everything
    assert TOKEN not in everything
    assert "zebra-umbrella" not in everything
    assert "check her phone" not in everything


async def test_one_persons_updates_are_answered_in_order(start_bot, fake_tg, texts_of):
    await start_bot()
    # A command is a turn of its own, so the texts around it cannot join into one.
    said = [
        ("hello there", "utter_greet"),
        ("/help", "utter_help"),
        ("bye for now", "utter_goodbye"),
    ]
    for message, _ in said:
        await fake_tg.send_text(USER, message)
    replies = await fake_tg.wait_for(chat_id=USER, count=len(said))
    for reply, (_, response) in zip(replies, said, strict=True):
        # /help's variation is followed by the list of commands (the next test).
        assert reply["text"].split("\n\n")[0] in texts_of(response)


async def test_help_and_the_command_menu_list_the_same_commands(start_bot, fake_tg, texts_of):
    await start_bot()
    [menu] = fake_tg.sent(method="setMyCommands")
    table = [(c.name, c.description) for c in commands.on(commands.TELEGRAM)]
    assert [(c["command"], c["description"]) for c in menu["commands"]] == table
    for typed in ("/help", "what commands are there"):
        await fake_tg.send_text(USER, typed)
        [reply] = await fake_tg.wait_for(chat_id=USER)
        intro, listed = reply["text"].split("\n\nCommands:\n")
        assert intro in texts_of("utter_help")
        assert listed.splitlines() == [f"/{name}: {description}" for name, description in table]
        fake_tg.calls.clear()


async def test_texts_waiting_together_are_one_turn_each_screened(start_bot, fake_tg):
    other = USER + 1
    # Queued before the bot reads them, as after a moment offline: one thought in three sends.
    for message in ["he hasnt texted", "its been 4 hours", "i feel sick"]:
        await fake_tg.send_text(USER, message)
    for message in ["ok so", "i took all my pills an hour ago", "sorry for rambling"]:
        await fake_tg.send_text(other, message)
    await start_bot()
    crisis = (await fake_tg.wait_for(chat_id=other))[0]
    assert crisis["text"].startswith("If you are in danger right now, call")
    await fake_tg.settle()
    assert 1 <= len(fake_tg.sent(USER)) <= 2  # one answer (and perhaps its offer), not three
