from __future__ import annotations

import pytest

from bot.safety import normalise, screen

CRISIS = [
    ("i want to kill myself", "self_harm"),
    ("I’m going to end it all tonight", "self_harm"),
    ("honestly everyone would be better off without me", "self_harm"),
    ("thinking about unaliving myself", "self_harm"),
    ("kms", "self_harm"),
    ("sewer slide seems like the only way out", "self_harm"),
    ("i took all my pills", "self_harm"),
    ("I dont want to live anymore", "self_harm"),
    ("he hit me last night", "abuse"),
    ("my boyfriend choked me during a fight", "abuse"),
    ("she threatened to kill me if i leave", "abuse"),
    ("he won't let me leave the house", "abuse"),
    ("he took my phone and locked me in", "abuse"),
]

TRAPS = [
    "this is killing me",
    "I'm dying to know what she said",
    "I could kill him lol he forgot our anniversary",
    "I'd rather die than go to that party",
    "she's killing our relationship with all the lying",
    "I'm done with his excuses",
    "the silence is killing me",
    "it's been 4 hours since he texted",
]


@pytest.mark.parametrize("text, category", CRISIS)
def test_crisis_is_caught(text, category):
    assert screen(text) == category


@pytest.mark.parametrize("text", TRAPS)
def test_idioms_are_not_crises(text):
    assert screen(text) is None


def test_normalise_handles_typography_leet_and_stretching():
    assert normalise("I’M sooooo DONE") == "i am so done"
    assert normalise("k1ll mys3lf") == "kill myself"
    assert normalise("4 hours") == "4 hours"
