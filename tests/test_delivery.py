"""Nothing lost, no one stalled: the inbox, the outbox and fair turns, end to end against a
fake Bot API that fails on demand."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sqlite3

from bench.fake_telegram import OLD_POLL, Failure
from bot.crypto import Sealer
from bot.logs import configure_logging
from bot.texts import text
from bot.turns import HOLD_SECONDS, TURN_GAP_SECONDS
from tests.conftest import DATA_KEY, TOKEN

USER = 5151001
OTHER = 5151002


async def attempted(fake_tg, method: str = "sendMessage") -> None:
    """Waits for a call to arrive, failed or not (`wait_for` counts only delivered ones)."""
    while not any(c.method == method for c in fake_tg.calls):
        await asyncio.sleep(0.02)


def outbox(db_path) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT chat_id, sent_at IS NOT NULL, failed FROM outbox").fetchall()


async def test_failed_sends_are_retried_not_replaced(start_bot, fake_tg, texts_of):
    await start_bot()
    fake_tg.fail(
        "sendMessage", Failure(429, retry_after=1), Failure(500), Failure(502), Failure(503)
    )
    await fake_tg.send_text(USER, "hello there")
    [reply] = await fake_tg.wait_for(chat_id=USER)
    assert reply["text"] in texts_of("utter_greet")
    await fake_tg.settle()
    assert len(fake_tg.sent(USER)) == 1  # delivered once; never an apology instead
    assert len([c for c in fake_tg.calls if c.method == "sendMessage"]) == 5


async def test_a_send_that_hangs_holds_no_one_else(start_bot, fake_tg, texts_of):
    await start_bot()
    fake_tg.fail("sendMessage", Failure(hang=6.0))  # longer than the client waits: a timeout
    await fake_tg.send_text(USER, "hello there")
    await attempted(fake_tg)  # the hanging call has arrived
    await fake_tg.send_text(OTHER, "thank you so much")
    [other] = await fake_tg.wait_for(chat_id=OTHER)
    assert other["text"] in texts_of("utter_thanks")
    assert fake_tg.sent(USER) == []  # still hanging when the other person got their answer
    [mine] = await fake_tg.wait_for(chat_id=USER, timeout=20)
    assert mine["text"] in texts_of("utter_greet")


async def test_a_blocked_send_is_given_up_and_recorded(start_bot, fake_tg, tmp_path):
    await start_bot()
    fake_tg.fail("sendMessage", Failure(403))
    await fake_tg.send_text(USER, "hello there")
    await attempted(fake_tg)
    await fake_tg.send_text(OTHER, "hello there")
    await fake_tg.wait_for(chat_id=OTHER)
    await fake_tg.settle()
    assert fake_tg.sent(USER) == []
    assert (USER, 0, "Forbidden") in outbox(tmp_path / "bot.sqlite3")


async def test_an_unreadable_update_is_skipped_and_the_bot_goes_on(start_bot, fake_tg, tmp_path):
    stream = io.StringIO()
    configure_logging(secrets=[TOKEN], stream=stream)
    try:
        await start_bot()
        await fake_tg.send_text(USER, "hello there")
        poison = await fake_tg.push({"update_id": fake_tg.next_update_id(), **OLD_POLL})
        await fake_tg.send_text(USER, "/help")
        await fake_tg.wait_for(chat_id=USER, count=2)
        await fake_tg.settle()
    finally:
        logging.getLogger().handlers.clear()
    log = stream.getvalue()
    assert len(log.encode()) < 10_000
    assert f"skipped update {poison['update_id']} (poll)" in log
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        [(outcome, body)] = db.execute(
            "SELECT outcome, body FROM inbox WHERE update_id = ?", (poison["update_id"],)
        ).fetchall()
    assert (outcome, body) == ("unreadable", None)


async def test_a_backlog_in_one_chat_does_not_hold_another(start_bot, fake_tg):
    for index in range(400):
        await fake_tg.send_text(USER, f"message number {index}")
    await fake_tg.send_text(OTHER, "i have the pills in my hand right now")
    await start_bot()
    [crisis] = (await fake_tg.wait_for(chat_id=OTHER))[:1]
    assert "danger" in crisis["text"]
    # The flooded chat is still being worked through (a handful of answers so far).
    assert len(fake_tg.sent(USER)) < 10


async def test_whitespace_only_text_gets_a_gentle_word(start_bot, fake_tg):
    await start_bot()
    for blank in (" ", "\u00a0", "\u3000", "\u200b"):
        await fake_tg.send_text(USER, blank)
        await fake_tg.settle(quiet=0.3)
    replies = fake_tg.sent(USER)
    assert replies and all(r["text"] == text("empty_text") for r in replies)


async def test_unfinished_work_is_resumed_after_a_crash(start_bot, fake_tg, tmp_path, texts_of):
    """What a crash leaves: an update stored but not handled, and a reply recorded but not
    sent. Both go out after the restart, once."""
    db_path = tmp_path / "bot.sqlite3"
    runner = await start_bot(db_path=db_path)
    await runner.stop()
    update = fake_tg.message_update(USER, {"text": "thank you so much"})
    seal = Sealer(DATA_KEY).seal  # as the bot writes them
    with sqlite3.connect(db_path) as db:
        db.execute(
            "INSERT INTO inbox (update_id, chat_id, kind, body, received_at)"
            " VALUES (?, ?, 'message', ?, 0)",
            (update["update_id"], USER, seal(json.dumps(update))),
        )
        db.execute(
            "INSERT INTO outbox (chat_id, method, body, created_at, not_before)"
            " VALUES (?, 'sendMessage', ?, 0, 0)",
            (OTHER, seal(json.dumps({"text": "the second half of an answer"}))),
        )
    await start_bot(db_path=db_path)
    [thanks] = await fake_tg.wait_for(chat_id=USER)
    assert thanks["text"] in texts_of("utter_thanks")
    [half] = await fake_tg.wait_for(chat_id=OTHER)
    assert half["text"] == "the second half of an answer"
    await fake_tg.settle()
    assert len(fake_tg.sent(USER)) == 1 and len(fake_tg.sent(OTHER)) == 1
    assert all(sent for _, sent, _ in outbox(db_path))


async def test_flood_from_one_person_gets_a_handful_of_answers(start_bot, fake_tg):
    # The real pause between a chat's turns: it is what joins a flood into a few turns.
    await start_bot(turn_gap=TURN_GAP_SECONDS, turn_hold=HOLD_SECONDS)
    for index in range(30):
        await fake_tg.send_text(USER, f"are you there {index}")
        await asyncio.sleep(0.1)
    await fake_tg.settle(quiet=3.0, timeout=60)
    answers = len(fake_tg.sent(USER))
    assert 1 <= answers <= 12


async def test_webhook_takes_updates_from_telegram_only(fake_tg, agent, tmp_path, texts_of):
    import aiohttp

    from bot.runner import BotRunner
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "bot.sqlite3", fake_tg.base_url)
    settings = type(settings)(
        **{
            **settings.__dict__,
            "webhook_url": "https://bot.example.org/telegram",
            "webhook_secret": "s3cret-hook",
            "webhook_port": 0,  # any free port, on 127.0.0.1 (the default listen address)
        }
    )
    runner = BotRunner(settings, agent=agent)
    await runner.start()
    try:
        [hook] = fake_tg.sent(method="setWebhook")
        assert hook["url"] == "https://bot.example.org/telegram"
        assert hook["secret_token"] == "s3cret-hook"
        url = f"http://127.0.0.1:{runner.webhook.port}/telegram"
        update = fake_tg.message_update(USER, {"text": "hello there"})
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update) as response:
                assert response.status == 403  # no secret
            too_big = {**update, "padding": "x" * (1024 * 1024)}
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-hook"}
            async with http.post(url, json=too_big, headers=headers) as response:
                assert response.status == 413
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 200
        [reply] = await fake_tg.wait_for(chat_id=USER)
        assert reply["text"] in texts_of("utter_greet")
    finally:
        await runner.stop()


async def test_no_reply_goes_twice_over_a_slow_network(start_bot, fake_tg, tmp_path):
    """With real round trips, a send is still in flight while the sender reads what is next."""
    fake_tg.latency = 0.15
    await start_bot()
    chats = [USER + i for i in range(6)]
    for chat in chats:
        await fake_tg.send_text(chat, "my heart is pounding, she hasn't answered in hours")
    for chat in chats:
        await fake_tg.wait_for(chat_id=chat, count=2, timeout=60)
    await fake_tg.settle(quiet=2.0)
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        [(recorded,)] = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE method = 'sendMessage' AND sent_at IS NOT NULL"
        ).fetchall()
    assert len(fake_tg.sent()) == recorded == 2 * len(chats)
