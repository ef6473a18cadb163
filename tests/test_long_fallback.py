"""Issue 16: a long message needs more confidence for a topic reply; below it the person picks
from the likeliest topics, and is not told "I didn't catch that" after writing a paragraph.
The messages were written for this test, not taken from any training or development set."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.dialogue import Turn
from bot.model.fallback import LengthAwareFallbackClassifier
from bot.model.sentences import LONG_WORDS
from bot.payloads import Intent, SomethingElse
from bot.replies import Reply
from bot.texts import text

LONG = (
    "We have been together six years and last spring I found out about messages he sent to a "
    "coworker, nothing physical he says, and we went to counselling for a while and stopped when "
    "it got expensive, and now I do not know what I feel most days."
)
SHORT = "i keep checking his location"


def fallback_for(message: str, intent: str, confidence: float) -> bool:
    classifier = LengthAwareFallbackClassifier(
        {**LengthAwareFallbackClassifier.get_default_config(), "threshold": 0.5}
    )
    ranking = [
        {"name": intent, "confidence": confidence},
        {"name": "vent", "confidence": 1 - confidence},
    ]
    parsed = Message({TEXT: message, INTENT: ranking[0], INTENT_RANKING_KEY: ranking})
    [done] = classifier.process([parsed])
    return done.data[INTENT]["name"] == "nlu_fallback"


def test_the_long_message_in_this_test_is_long():
    assert len(LONG.split()) >= LONG_WORDS > len(SHORT.split())


@pytest.mark.parametrize(
    ("message", "intent", "confidence", "falls_back"),
    [
        (SHORT, "checking_urge", 0.6, False),  # a line: the ordinary threshold
        (LONG, "checking_urge", 0.6, True),  # a paragraph at the same confidence: pick a topic
        (LONG, "checking_urge", 0.8, False),
        (LONG, "out_of_scope", 0.6, False),  # off topic's reply offers the topics already
        (SHORT, "checking_urge", 0.4, True),
    ],
)
def test_a_long_message_needs_more_confidence(message, intent, confidence, falls_back):
    assert fallback_for(message, intent, confidence) is falls_back


async def test_a_long_message_about_two_things_offers_both(conversation):
    two_threads = (
        "My husband cheated two years ago and we decided to stay together. Most days are ok "
        "now. But when he is late from work my chest gets tight and I want to look through his "
        "phone. Also I keep wondering if I am just not enough for him, maybe it is my fault."
    )
    replies = await conversation.on_text(63, two_threads)
    offered = {b.payload for r in replies for b in r.buttons}
    assert {Intent("checking_urge").pack(), Intent("self_doubt").pack()} <= offered


def unsure_turn(fallback=True) -> Turn:
    said = Reply("I didn't quite catch that.", custom={"fallback": fallback})
    ranking = (("checking_urge", 0.6), ("self_doubt", 0.3), ("anxiety_spike", 0.1))
    return Turn(replies=[said], intent="nlu_fallback", ranking=ranking)


async def test_a_long_message_is_not_told_it_was_not_caught(conversation):
    [reply] = await conversation._render(61, unsure_turn(), LONG)
    assert reply.text.startswith(text("unsure_long"))
    assert "catch" not in reply.text
    payloads = [b.payload for b in reply.buttons]
    assert payloads[0] == Intent("checking_urge").pack()
    assert payloads[-1] == SomethingElse().pack()


async def test_a_short_message_keeps_the_domain_wording(conversation):
    [reply] = await conversation._render(62, unsure_turn(), SHORT)
    assert reply.text.startswith("I didn't quite catch that.")
    # The second unsure reply in a row keeps its own words whatever the length.
    [again] = await conversation._render(62, unsure_turn("again"), LONG)
    assert text("unsure_long") not in again.text
