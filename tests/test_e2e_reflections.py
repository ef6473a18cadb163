"""End to end: each guided reflection through the fake Bot API: complete, stop, restart, crisis."""

from __future__ import annotations

import pytest

USER = 4242003

# flow, the topic it starts from, and an answer for each step ("=x" taps the choice button x)
FLOWS = {
    "name_the_hurt": (
        "/name_the_hurt",
        ["he lied about the trip", "more lies", "his phone is open now", "honest answers"],
    ),
    "past_or_present": ("/past_vs_present_fear", ["my dad leaving", "memories mostly"]),
    "prepare_conversation": (
        "/difficult_conversation",
        [
            "anxious",
            "plans change without a text",
            "i start imagining the worst",
            "a quick message",
        ],
    ),
    "stay_or_leave": (
        "/stay_or_leave",
        ["=yes", "=no", "=unsure", "no", "=no", "=yes", "not sure"],
    ),
}


def as_sent(message: dict, message_id: int) -> dict:
    return {**message, "message_id": message_id, "chat": {"id": USER, "type": "private"}, "date": 0}


async def begin(fake_tg, flow: str) -> dict:
    """Taps the topic, then the reflection button on its reply; returns the first question."""
    topic, _ = FLOWS[flow]
    await fake_tg.tap(USER, as_sent({"text": "pick"}, 1), topic)
    [reply] = await fake_tg.wait_for(chat_id=USER)
    start = [b["callback_data"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert start == [f"flow:start:{flow}"]
    await fake_tg.tap(USER, as_sent(reply, 2), f"flow:start:{flow}")
    return (await fake_tg.wait_for(chat_id=USER, count=2))[1]


async def give(fake_tg, question: dict, answer: str, count: int) -> dict:
    if answer.startswith("="):
        await fake_tg.tap(USER, as_sent(question, 100 + count), f"flow:answer:{answer[1:]}")
    else:
        await fake_tg.send_text(USER, answer)
    return (await fake_tg.wait_for(chat_id=USER, count=count))[count - 1]


@pytest.mark.parametrize("flow", list(FLOWS))
async def test_reflection_from_its_topic_to_the_summary(start_bot, fake_tg, flow):
    runner = await start_bot()
    await runner.store.set_writing_consent(USER, True)  # answers are kept only with it
    question = await begin(fake_tg, flow)
    assert question["reply_markup"]["inline_keyboard"][-1][0]["callback_data"] == "flow:stop"
    answers = FLOWS[flow][1]
    for n, answer in enumerate(answers):
        question = await give(fake_tg, question, answer, count=3 + n)
    summary = question["text"]
    for answer in answers:
        shown = {
            "=yes": "Yes",
            "=no": "No",
            "=unsure": "Not sure",
            "no": "No",
            "not sure": "Not sure",
        }.get(answer, answer)
        assert shown in summary
    if flow == "stay_or_leave":
        assert "you should" not in summary.lower()  # no verdict
    assert await runner.store.active_reflection(USER) is None
    [(name, stored)] = await runner.store.finished_reflections(USER)
    assert name == flow and len(stored) == len(answers)


async def test_without_consent_the_summary_is_shown_and_nothing_kept(start_bot, fake_tg):
    runner = await start_bot()
    question = await begin(fake_tg, "past_or_present")
    question = await give(fake_tg, question, "my dad leaving", count=3)
    await fake_tg.send_text(USER, "memories mostly")
    note, summary = (await fake_tg.wait_for(chat_id=USER, count=5))[3:5]
    assert "/settings" in note["text"]  # where to turn keeping on
    assert "my dad leaving" in summary["text"] and "memories mostly" in summary["text"]
    assert await runner.store.active_reflection(USER) is None
    assert await runner.store.finished_reflections(USER) == [("past_or_present", {})]


@pytest.mark.parametrize("flow", list(FLOWS))
async def test_stop_in_the_middle_deletes_the_answers(start_bot, fake_tg, texts_of, flow):
    runner = await start_bot()
    question = await begin(fake_tg, flow)
    await give(fake_tg, question, FLOWS[flow][1][0], count=3)
    await fake_tg.send_text(USER, "stop")
    stopped = (await fake_tg.wait_for(chat_id=USER, count=4))[3]
    assert "stopped" in stopped["text"]
    assert await runner.store.active_reflection(USER) is None
    await fake_tg.send_text(USER, "hello")  # back to the ordinary conversation
    assert (await fake_tg.wait_for(chat_id=USER, count=5))[4]["text"] in texts_of("utter_greet")


@pytest.mark.parametrize("flow", list(FLOWS))
async def test_restart_in_the_middle_continues(start_bot, fake_tg, tmp_path, flow):
    first = await start_bot()
    await first.store.set_writing_consent(USER, True)
    answers = FLOWS[flow][1]
    question = await begin(fake_tg, flow)
    question = await give(fake_tg, question, answers[0], count=3)
    await first.stop()

    runner = await start_bot(db_path=tmp_path / "bot.sqlite3")
    for n, answer in enumerate(answers[1:]):
        question = await give(fake_tg, question, answer, count=4 + n)
    assert await runner.store.active_reflection(USER) is None
    [(_, stored)] = await runner.store.finished_reflections(USER)
    assert len(stored) == len(answers)


async def test_a_crisis_interrupts_a_reflection(start_bot, fake_tg):
    runner = await start_bot()
    question = await begin(fake_tg, "name_the_hurt")
    await give(fake_tg, question, "she cheated", count=3)
    await fake_tg.send_text(USER, "honestly i just want to die")
    crisis = (await fake_tg.wait_for(chat_id=USER, count=5))[3]
    assert "findahelpline.com" in crisis["text"]
    assert await runner.store.active_reflection(USER) is None
