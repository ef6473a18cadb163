"""The three tiers (crisis reply, ask, conversation) and the typed answer to "are you safe?".

`decide` is pure: these tests need neither the detector nor the encoder.
"""

from __future__ import annotations

import pytest

from bot.conversation import _is_clear_no
from bot.model.sentences import MAX_UNITS, units
from bot.safety import ASK, DOUBTED_HEARD, PART_SURE, RULE_DOUBT, SURE, decide, rule_findings


def scores(self_harm=(0.0, 0.0), abuse=(0.0, 0.0), other=(0.0, 0.0)):
    return {"none": (1.0, 1.0), "self_harm": self_harm, "abuse": abuse, "other": other}


def test_rules_alone_decide_while_the_detector_is_not_loaded():
    assert decide({"abuse": True}, None).crisis == "abuse"
    assert decide({"self_harm": False, "abuse": True}, None).crisis == "self_harm"
    assert decide({}, None).tier is None


def test_a_sure_detector_gives_the_crisis_reply_without_any_rule():
    assert decide({}, scores(self_harm=(SURE, 0.0))).crisis == "self_harm"
    # one sentence of a long story, sure enough on its own
    assert decide({}, scores(abuse=(0.01, PART_SURE))).crisis == "abuse"


def test_unsure_asks_and_never_falls_through_to_a_topic_reply():
    verdict = decide({}, scores(self_harm=(ASK, 0.0)))
    assert verdict.tier == "ask" and verdict.ask == "self_harm" and verdict.crisis is None


def test_a_rule_the_detector_confidently_doubts_is_asked_about_not_answered():
    doubted = decide({"self_harm": True}, scores(self_harm=(RULE_DOUBT / 2, 0.0)))
    assert doubted.ask == "self_harm"
    agreed = decide({"self_harm": True}, scores(self_harm=(RULE_DOUBT, 0.0)))
    assert agreed.crisis == "self_harm"


def test_a_phrase_in_doubting_context_asks_only_when_the_detector_hears_it_too():
    heard = decide({"self_harm": False}, scores(self_harm=(0.0, DOUBTED_HEARD)))
    assert heard.ask == "self_harm"
    assert decide({"self_harm": False}, scores(self_harm=(DOUBTED_HEARD - 0.01, 0.0))).tier is None
    # without the detector, every phrase is answered
    assert decide({"self_harm": False}, None).crisis == "self_harm"


@pytest.mark.parametrize(
    "text",
    [
        "I'm not going to hurt myself, I just feel ugly",
        "he didn't hit me, it was just a loud argument",
        "my sister just called saying she wants to die",
        "i self harmed when i was 16, clean for 18 years now",
        "my ex used to hit me, that was 10 years ago",
    ],
)
def test_denial_someone_else_and_a_past_that_is_over_put_a_phrase_in_doubt(text):
    assert rule_findings(text) and not any(rule_findings(text).values())


@pytest.mark.parametrize(
    "text",
    [
        "i want to kill myself",
        "i can't stop cutting myself",
        "he choked me last night",
        "i don't want to live anymore",
    ],
)
def test_a_plain_crisis_phrase_stands(text):
    assert any(rule_findings(text).values())


def test_someone_else_in_danger_is_its_own_kind_of_reply():
    verdict = decide({}, scores(other=(0.99, 0.0)))
    assert verdict.tier == "crisis" and verdict.category == "other" and verdict.crisis is None
    # the writer's own crisis comes first
    assert decide({}, scores(abuse=(0.9, 0.0), other=(0.99, 0.0))).crisis == "abuse"


def test_a_message_is_read_whole_and_sentence_by_sentence():
    text = "We argued about his ex again. I'm so tired. I took all my pills an hour ago."
    assert units(text) == [
        text,
        "We argued about his ex again.",
        "I'm so tired.",
        "I took all my pills an hour ago.",
    ]
    assert units("just one line") == ["just one line"]


def test_a_run_on_message_is_read_in_overlapping_windows():
    words = [f"w{i}" for i in range(60)]
    parts = units(" ".join(words))[1:]
    assert parts[0].split()[0] == "w0" and any(p.split()[-1] == "w59" for p in parts)
    assert len(units("word " * 5000)) == MAX_UNITS


@pytest.mark.parametrize(
    "answer", ["no", "No.", "nope", "nah im ok", "I'm fine", "no, i'm safe", "all good thanks"]
)
def test_clear_noes(answer):
    assert _is_clear_no(answer)


@pytest.mark.parametrize(
    "answer",
    [
        "yeah",
        "yes",
        "idk maybe sometimes, i dont have a plan",
        "i meant yes",
        "no but sometimes i think about it",
        "i'm not ok",
        "not sure",
        "he's here",
        "🙁",
    ],
)
def test_anything_but_a_clear_no_is_a_yes(answer):
    assert not _is_clear_no(answer)
