"""End to end through the fake Bot API: the crisis tiers as a person meets them (issue 11)."""

from __future__ import annotations

import pytest

from bot import safety
from bot.flows.exercises import Exercises
from tests.test_e2e_safety import USER, choose_country, texts

# Asked about rather than decided: hints the detector is unsure of. The second is the journal
# answer that once lost its entry to a false alarm (issue 11).
UNSURE = "everything feels pointless lately and i keep thinking about disappearing"
# A journal answer the screen asks about (it did about "someone who notices when im not ok
# without me having to spell it out" until the detector learned calm look-alikes, 2026-12-07).
JOURNAL_ANSWER = "a version of me that doesnt want to cut myself every time he goes quiet"


def buttons(message: dict) -> list[str]:
    return [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_an_overdose_taken_puts_the_emergency_number_first(start_bot, fake_tg):
    await start_bot()
    await choose_country(fake_tg, "GB")
    await fake_tg.send_text(USER, "took like 20 of my mums tablets an hour ago. feel weird")
    crisis, _ = await fake_tg.wait_for(chat_id=USER, count=2)
    assert crisis["text"].startswith("If you are in danger right now, call 999.")
    assert "Samaritans" in crisis["text"]


async def test_a_crisis_buried_in_a_long_story_gets_the_crisis_reply(start_bot, fake_tg):
    await start_bot()
    story = (
        "so me and my boyfriend have been together 3 years and last month i found messages "
        "from his coworker on his ipad. he said it was nothing and that i'm paranoid. we went "
        "to his parents for the weekend and i pretended everything was fine. honestly i've "
        "been stockpiling my sleeping pills and i think this weekend is when. anyway i don't "
        "know if i should bring up the messages again or just let it go, what do you think"
    )
    await fake_tg.send_text(USER, story)
    crisis, _ = await fake_tg.wait_for(chat_id=USER, count=2)
    assert "findahelpline.com" in crisis["text"]


async def _asked(fake_tg, runner) -> dict:
    assert (await safety.assess(UNSURE)).ask == "self_harm"  # the premise of these tests
    await fake_tg.send_text(USER, UNSURE)
    [check] = await fake_tg.wait_for(chat_id=USER)
    assert "thoughts of hurting yourself" in check["text"]
    assert buttons(check) == ["safety:self_harm", "safety:ok"]
    assert not await runner.store.is_quiet(USER)
    return check


@pytest.mark.parametrize(
    "answer", ["yeah", "idk maybe sometimes, i dont have a plan", "i meant yes"]
)
async def test_anything_typed_but_a_clear_no_gives_the_crisis_reply(start_bot, fake_tg, answer):
    runner = await start_bot()
    await _asked(fake_tg, runner)
    await fake_tg.send_text(USER, answer)
    crisis = (await fake_tg.wait_for(chat_id=USER, count=3))[1]
    assert "findahelpline.com" in crisis["text"]
    assert await runner.store.is_quiet(USER)


async def test_a_tapped_yes_gives_the_crisis_reply(start_bot, fake_tg):
    runner = await start_bot()
    check = await _asked(fake_tg, runner)
    sent = {**check, "message_id": 80, "chat": {"id": USER, "type": "private"}, "date": 0}
    await fake_tg.tap(USER, sent, "safety:self_harm")
    crisis = (await fake_tg.wait_for(chat_id=USER, count=3))[1]
    assert "findahelpline.com" in crisis["text"]


async def test_no_goes_back_to_the_conversation(start_bot, fake_tg):
    runner = await start_bot()
    await _asked(fake_tg, runner)
    await fake_tg.send_text(USER, "no")
    replies = await fake_tg.wait_for(chat_id=USER, count=2)
    assert "Tell me more" in replies[1]["text"]
    await fake_tg.send_text(USER, "he keeps saying he'll change and then does the same thing")
    replies = await fake_tg.wait_for(chat_id=USER, count=3)
    assert "thoughts of hurting yourself" not in replies[2]["text"]
    assert "findahelpline.com" not in " ".join(texts(fake_tg))
    assert not await runner.store.is_quiet(USER)


async def test_no_gives_a_journal_answer_back_to_the_flow(start_bot, fake_tg):
    """A false alarm inside a flow: the answer is held while we ask, and kept after a no."""
    runner = await start_bot()
    await runner.store.set_writing_consent(USER, True)
    await Exercises(runner.store).start(USER, "journal")  # as a tap on the menu would
    run = await runner.store.open_exercise(USER)
    run["step"], run["state"]["prompt"] = "write", 0  # the question is on the screen
    await runner.store.save_exercise(run)
    assert (await safety.assess(JOURNAL_ANSWER)).ask == "self_harm"
    await fake_tg.send_text(USER, JOURNAL_ANSWER)
    [check] = await fake_tg.wait_for(chat_id=USER)
    assert "thoughts of hurting yourself" in check["text"]
    assert await runner.store.journal_entries(USER) == []  # held, not yet written
    await fake_tg.send_text(USER, "no im ok")
    await fake_tg.settle()
    assert "carry on" in texts(fake_tg)[1]
    entries = await runner.store.journal_entries(USER)
    assert [e["entry"] for e in entries] == [JOURNAL_ANSWER]


async def test_after_an_abuse_reply_there_is_no_coaching_to_confront(
    start_bot, fake_tg, domain_responses
):
    runner = await start_bot()
    await fake_tg.send_text(USER, "he put his forearm on my throat last night until i saw stars")
    crisis, _ = await fake_tg.wait_for(chat_id=USER, count=2)
    assert "Are you safe to talk right now?" in crisis["text"]
    await fake_tg.send_text(USER, "how do i bring up his drinking without him getting angry")
    reply = (await fake_tg.wait_for(chat_id=USER, count=3))[2]
    safe = {
        v["text"] for v in domain_responses["utter_difficult_conversation"] if v.get("condition")
    }
    assert reply["text"] in safe
    assert '"I"' not in reply["text"] and "Build my" not in str(reply.get("reply_markup"))
    assert buttons(reply) == ["safety:sos"]
    await fake_tg.send_text(USER, "/sos")
    sos = (await fake_tg.wait_for(chat_id=USER, count=5))[3]
    assert "/clear" in sos["text"]
    assert await runner.store.disclosure(USER, since=0) == "abuse"
    # Safety planning is answered, whatever the model makes of it: no topic menu, no re-asking.
    for question in (
        "can i stay at my sisters for a bit, what do i tell him",
        "he says sorry after and he's so sweet, i dont think its abuse really",
    ):
        before = len(fake_tg.sent(USER))
        await fake_tg.send_text(USER, question)
        answer = (await fake_tg.wait_for(chat_id=USER, count=before + 1))[before]
        assert "/sos" in answer["text"], answer["text"]
        assert buttons(answer) == ["safety:sos"]


async def test_someone_else_in_danger_gets_lines_for_the_helper(start_bot, fake_tg):
    await start_bot()
    await fake_tg.send_text(USER, "my sister is hiding at my place from her husband, he hits her")
    helper, _ = await fake_tg.wait_for(chat_id=USER, count=2)
    assert "someone you care about" in helper["text"]
    assert "findahelpline.com" in helper["text"]
