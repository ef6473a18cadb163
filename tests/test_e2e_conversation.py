"""End to end, issue 15: a conversation, not a classifier. Through the fake Bot API with the real
model: who is speaking (the side), typed answers to the bot's questions, how the person is now
(relief, the night ending, distress), fallbacks that never repeat, reflections not offered twice.
"""

from __future__ import annotations

import pytest

from bot.flows.schedule import texts as schedule_texts
from bot.texts import text

pytestmark = pytest.mark.model


class Chat:
    """One person's side of the chat: what they send, and what came back since."""

    def __init__(self, fake_tg, user: int) -> None:
        self.fake_tg, self.user, self.seen = fake_tg, user, 0

    async def _replies(self) -> list[dict]:
        await self.fake_tg.wait_for(chat_id=self.user, count=self.seen + 1)
        await self.fake_tg.settle(quiet=0.6)
        sent = self.fake_tg.sent(self.user)
        new, self.seen = sent[self.seen :], len(sent)
        return new

    async def say(self, message: str) -> list[dict]:
        await self.fake_tg.send_text(self.user, message)
        return await self._replies()

    async def tap(self, on: dict, data: str) -> list[dict]:
        sent = {**on, "message_id": 1, "chat": {"id": self.user, "type": "private"}, "date": 0}
        await self.fake_tg.tap(self.user, sent, data)
        return await self._replies()


def buttons(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b["callback_data"] for row in rows for b in row]


def variations(domain_responses, response: str, side: str | None = None) -> set[str]:
    """The texts of `response` for one position (None: the ones without a condition)."""
    out = set()
    for v in domain_responses[response]:
        slots = {c["name"]: c["value"] for c in v.get("condition", [])}
        if "text" in v and slots.get("position") == side and (side or not slots):
            out.add(v["text"])
    return out


async def test_the_one_who_cheated_is_never_asked_which_side(start_bot, fake_tg, domain_responses):
    await start_bot()
    chat = Chat(fake_tg, 5150001)
    said = []
    for message in (
        "hi",
        "i cheated on my wife last month and she found out",
        "how do i even begin to repair this",
        "honestly just being open about everything i guess",
        "how do I get HER to forgive ME",
        "i dont want to keep messing this up, what mistakes should i avoid",
        "ok",
        "how long will it take before she trusts me again",
        "thank you",
        "ok thank u, going to sleep now",
    ):
        said.append([m["text"] for m in await chat.say(message)])
    everything = [t for turn in said for t in turn]
    assert not any(text("position_question") == t for t in everything)
    assert said[2][0] in variations(domain_responses, "utter_partner_repair", "broke_trust")
    assert said[4][0] in variations(domain_responses, "utter_forgiveness", "broke_trust")
    assert said[5][0] in variations(domain_responses, "utter_common_mistakes", "broke_trust")
    assert said[7][0] in variations(domain_responses, "utter_faq_how_long", "broke_trust")
    assert said[9][0] in variations(domain_responses, "utter_goodnight")


async def test_the_side_is_asked_once_and_a_typed_answer_counts(
    start_bot, fake_tg, domain_responses
):
    await start_bot()
    chat = Chat(fake_tg, 5150002)
    [asked] = await chat.say("how long does it take to trust again")
    assert asked["text"] == text("position_question")
    assert len(buttons(asked)) == 4
    [reply] = await chat.say("i was the one who got cheated on")
    assert reply["text"] in variations(domain_responses, "utter_faq_how_long", "hurt")
    [reply] = await chat.say("should i forgive him")
    assert reply["text"] in variations(domain_responses, "utter_forgiveness", "hurt")

    other = Chat(fake_tg, 5150003)
    [asked] = await other.say("can a relationship survive cheating")
    [reply] = await other.tap(asked, buttons(asked)[-1])  # rather not say
    assert reply["text"] in variations(domain_responses, "utter_faq_survive_betrayal")
    [reply] = await other.say("what mistakes should i avoid while we rebuild")
    assert reply["text"] in variations(domain_responses, "utter_common_mistakes")


async def test_an_answer_to_a_topic_question_is_heard_not_classified(start_bot, fake_tg, texts_of):
    await start_bot()
    chat = Chat(fake_tg, 5150004)
    [reply] = await chat.tap({"text": "pick"}, "/patterns_vs_promises")
    assert reply["text"].rstrip().endswith("?")
    [heard] = await chat.say("nothing really. same excuses, then flowers, then the same thing")
    assert heard["text"] in texts_of("utter_heard_patterns_vs_promises")
    assert not buttons(heard)  # no "which of these?" menu


async def test_relief_after_a_spike_gets_no_breathing(start_bot, fake_tg, texts_of):
    await start_bot()
    chat = Chat(fake_tg, 5150005)
    spike = await chat.say("its been four hours since he texted and my chest is so tight")
    assert "ex:start:breathing" in buttons(spike[-1])
    [reply] = await chat.say("omg he just texted, he fell asleep. i feel so stupid")
    assert reply["text"] in texts_of("utter_relief")
    assert not buttons(reply)


async def test_a_declined_exercise_is_not_offered_again_that_night(start_bot, fake_tg, texts_of):
    await start_bot()
    chat = Chat(fake_tg, 5150006)
    spike = await chat.say("she's not answering and i'm panicking")
    await chat.tap(spike[-1], "/deny")
    again = await chat.say("it's getting worse, my heart is racing and she still isn't answering")
    assert not any("ex:start:breathing" in buttons(m) for m in again)
    assert again[-1]["text"] in texts_of("utter_offer_breathing")  # its no-offer variation


async def test_distress_is_met_and_never_answered_twice_in_the_same_words(start_bot, fake_tg):
    await start_bot()
    chat = Chat(fake_tg, 5150007)
    first = await chat.say("im falling apart. i cant sleep i cry in the car")
    assert buttons(first[-1]) == ["ex:menu", "/vent"]
    second = await chat.say("i just told you. i'm not ok")
    assert {m["text"] for m in first}.isdisjoint(m["text"] for m in second)


async def test_two_unsure_replies_in_a_row_differ_and_offer_to_listen(start_bot, fake_tg):
    await start_bot()
    chat = Chat(fake_tg, 5150008)
    [first] = await chat.say("we need to figure some stuff out")
    [second] = await chat.say("the thing is the thing")
    assert first["text"] != second["text"]
    assert "topic:other" in buttons(first)
    assert "/vent" in buttons(second) and "topic:other" not in buttons(second)


async def test_the_night_ends_with_a_goodnight(start_bot, fake_tg, texts_of):
    await start_bot()
    chat = Chat(fake_tg, 5150009)
    [reply] = await chat.say("ok thank u, going to sleep now")
    assert reply["text"] in texts_of("utter_goodnight")


async def test_a_finished_reflection_is_not_offered_again_and_its_question_is_answered(
    start_bot, fake_tg
):
    await start_bot()
    chat = Chat(fake_tg, 5150010)
    [topic] = await chat.tap({"text": "pick"}, "/name_the_hurt")
    [question] = await chat.tap(topic, "flow:start:name_the_hurt")
    for answer in ("he lied about the trip", "more lies", "his phone is open now"):
        await chat.say(answer)
    note, summary = await chat.say("honest answers")
    assert "/settings" in note["text"]  # nothing is kept without consent, and it says so
    assert summary["text"].rstrip().endswith("?")
    [after] = await chat.say("the lying, i think. that's the part")
    assert "topic:other" not in buttons(after) and after["text"] != summary["text"]
    [again] = await chat.tap({"text": "pick"}, "/name_the_hurt")
    assert "flow:start:name_the_hurt" not in buttons(again)


async def test_typed_yes_and_no_answer_the_questions_asked_with_buttons(start_bot, fake_tg):
    await start_bot()
    chat = Chat(fake_tg, 5150011)
    await chat.say("/start")
    [offer] = await chat.tap({"text": "country?"}, "country:GB")
    assert "sch:start" in buttons(offer)
    [reply] = await chat.say("no thanks")
    assert reply["text"] == schedule_texts()["schedule"]["not_now"]
    # The journal's consent question, typed: "yes" keeps the answers like the button.
    [menu] = await chat.say("/ground")
    [before] = await chat.tap(menu, "ex:start:journal")
    [consent] = await chat.say("4")  # the rating before
    assert any(b.startswith("ex:") and b.endswith(":yes") for b in buttons(consent))
    [prompt] = await chat.say("yes")
    assert prompt["text"] != consent["text"]
