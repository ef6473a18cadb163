"""Issue 16: a long message often carries two things at once. The reply answers the main one
and offers the other as a button. The messages were written for this test, not taken from any
training or development set."""

from __future__ import annotations

from bot.conversation import also_mentioned
from bot.dialogue import Turn
from bot.payloads import Intent
from bot.replies import Button, Reply
from bot.texts import text
from bot.threads import THREAD_CONFIDENCE

# Under 30 words: a longer message needs more confidence for a topic reply, and one about two
# things at once is often below it (tests/test_long_fallback.py).
TWO_THREADS = (
    "When my girlfriend goes out with her friends I cant stop checking her location every ten "
    "minutes. Separately, I keep wondering if I am just not enough for her."
)


def topic_buttons(reply: Reply) -> list[str]:
    return [b.payload for b in reply.buttons if Intent.parse_as(b.payload) is not None]


async def test_a_long_message_about_two_things_offers_the_second(conversation):
    turns: list[Turn] = []
    conversation.on_turn = lambda user, message, turn: turns.append(turn)
    replies = await conversation.on_text(51, TWO_THREADS)
    # Under the last reply without an offer of its own (an exercise offer keeps its buttons).
    [under] = [r for r in replies if text("also_mentioned") in r.text]
    [offered] = topic_buttons(under)
    # Another topic than the one the reply answered.
    assert offered != Intent(turns[0].intent).pack()


async def test_a_one_line_message_has_no_second_thread(conversation):
    replies = await conversation.on_text(52, "i want to go through his phone so badly right now")
    assert all(text("also_mentioned") not in r.text for r in replies)


async def test_fragments_of_one_thought_are_not_threads(conversation):
    # Three sends read as one turn (bot/turns.py): each fragment alone says too little.
    replies = await conversation.on_text(53, "he hasnt texted\nits been 4 hours\ni feel sick")
    assert all(text("also_mentioned") not in r.text for r in replies)


def turn(threads, intent="self_doubt", actions=("utter_self_doubt",)) -> Turn:
    return Turn(replies=[], intent=intent, confidence=0.9, threads=threads, actions=actions)


REPLY = [Reply("It isn't your fault.", (Button("Breathe", "ex:menu"),))]


def test_the_surest_other_topic_is_offered_under_the_reply():
    threads = (("self_doubt", 0.99), ("checking_urge", 0.91), ("anxiety_spike", 0.85))
    [reply] = also_mentioned(turn(threads), [Reply("It isn't your fault.")])
    assert reply.text.startswith("It isn't your fault.")
    assert reply.text.endswith(text("also_mentioned"))
    assert [b.payload for b in reply.buttons] == [Intent("checking_urge").pack()]


def test_an_offer_keeps_its_own_buttons_and_the_thread_goes_under_the_words_before_it():
    threads = (("checking_urge", 0.91),)
    said = Reply("That pull is strong.")
    words, offer = also_mentioned(turn(threads), [said, *REPLY])
    assert offer == REPLY[0]
    assert words.text == f"That pull is strong.\n\n{text('also_mentioned')}"
    assert [b.payload for b in words.buttons] == [Intent("checking_urge").pack()]
    # With no reply free of buttons, the thread comes as a message of its own.
    offer, thread = also_mentioned(turn(threads), REPLY)
    assert offer == REPLY[0] and thread.text == text("also_mentioned")


def test_no_second_thread_when_no_sentence_is_sure_of_another_topic():
    threads = (("self_doubt", 0.99), ("checking_urge", THREAD_CONFIDENCE - 0.01))
    assert also_mentioned(turn(threads), REPLY) == REPLY
    # Off-topic, greeting or crisis intents are not threads to offer.
    assert also_mentioned(turn((("out_of_scope", 0.99), ("greet", 0.98))), REPLY) == REPLY


def test_only_a_topic_reply_gets_a_second_thread():
    threads = (("checking_urge", 0.95),)
    # An answer to the bot's own question, or a flow, is not the topic's reply.
    assert also_mentioned(turn(threads, actions=("utter_heard_answer",)), REPLY) == REPLY
    assert also_mentioned(turn(threads, intent="out_of_scope"), REPLY) == REPLY
    assert also_mentioned(turn(threads), []) == []


def test_a_topic_already_offered_is_not_offered_twice():
    offered = [Reply("Try this.", (Button("Check", Intent("checking_urge").pack()),))]
    assert also_mentioned(turn((("checking_urge", 0.95),)), offered) == offered
