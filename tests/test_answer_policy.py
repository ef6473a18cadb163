"""The answer policy on real trackers and the real domain, without a trained model."""

from __future__ import annotations

import time

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.model.answer_policy import heard_reply
from bot.settings import ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def tracker(domain, asked: str, said: str, intent: str, confidence: float = 0.9, late=0.0):
    now = time.time()
    events = [
        ActionExecuted("action_listen", timestamp=now - 60 - late),
        UserUttered("/set_boundaries", {"name": "set_boundaries", "confidence": 1.0}),
        ActionExecuted(asked, timestamp=now - 30 - late),
        ActionExecuted("action_listen", timestamp=now - 29 - late),
        UserUttered(said, {"name": intent, "confidence": confidence}, timestamp=now),
    ]
    return DialogueStateTracker.from_events("someone", events, domain.slots)


@pytest.mark.parametrize(
    ("said", "intent", "confidence"),
    [
        ("that he texts when plans change", "nlu_fallback", 0.4),
        ("i guess no flirting with his ex", "checking_urge", 0.6),  # a weak alarm: an answer
        ("honestly idk. maybe march? when things were calm", "out_of_scope", 0.6),
        ("no", "deny", 0.9),
    ],
)
def test_an_answer_to_the_question_gets_the_heard_reply(domain, said, intent, confidence):
    t = tracker(domain, "utter_set_boundaries", said, intent, confidence)
    assert heard_reply(t, domain) == "utter_heard_set_boundaries"


@pytest.mark.parametrize(
    ("said", "intent", "confidence"),
    [
        ("how do i stop checking his phone", "checking_urge", 0.9),  # a question
        ("is it normal to still feel sick about it", "faq_how_long", 0.7),
        ("oh he just texted back, false alarm", "relief", 0.9),  # how the person is now
        ("going to sleep now, thank you", "goodnight", 0.9),
        ("my heart is pounding and she still hasn't answered", "anxiety_spike", 0.95),
        ("i want to die", "self_harm", 0.99),  # a sure crisis signal
        (
            "ok so tonight i found a second email account with messages to some woman and he is"
            " asleep upstairs like nothing happened and i dont know what to do with myself",
            "name_the_hurt",
            0.8,
        ),  # a long new story
    ],
)
def test_a_new_request_or_state_is_left_to_the_rules(domain, said, intent, confidence):
    t = tracker(domain, "utter_set_boundaries", said, intent, confidence)
    assert heard_reply(t, domain) is None


def test_nothing_is_taken_as_an_answer_long_after_or_to_a_reply_that_asked_nothing(domain):
    late = tracker(domain, "utter_set_boundaries", "that he texts", "nlu_fallback", late=3600)
    assert heard_reply(late, domain) is None
    no_question = tracker(domain, "utter_relief", "that he texts", "nlu_fallback")
    assert heard_reply(no_question, domain) is None
    # "What's going on?" is answered by a topic, which the rules answer as one.
    invited = tracker(domain, "utter_greet", "found messages on his phone", "name_the_hurt")
    assert heard_reply(invited, domain) is None


def test_after_the_heard_reply_the_bot_listens(domain):
    t = tracker(domain, "utter_set_boundaries", "that he texts", "nlu_fallback")
    t.update(ActionExecuted("utter_heard_set_boundaries"))
    assert heard_reply(t, domain) == "action_listen"
