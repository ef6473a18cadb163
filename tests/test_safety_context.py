"""Issue 11: the rules hear a crisis in the person's own language, and leave a phrase in doubt
when the sentence laughs at itself or the words are someone else's, in quotation marks. A phrase
in doubt is not dropped: the detector decides whether to ask. Messages written for this test."""

from __future__ import annotations

import pytest

from bot import safety


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("me tomé todas las pastillas de mi mamá y me siento raro", "self_harm"),
        ("me tome todas las pastillas", "self_harm"),  # typed without accents
        ("mi novio me pega cuando toma", "abuse"),
        ("ele me bate quando bebe e eu tenho medo", "abuse"),
        ("je veux mourir, il est parti avec ma soeur", "self_harm"),
        ("ich will nicht mehr leben seit sie weg ist", "self_harm"),
        ("penso em me matar todo dia", "self_harm"),
        ("ab jeene ka mann nahi karta yaar", "self_harm"),
    ],
)
def test_a_crisis_in_another_language_is_heard(message, category):
    assert safety.rule_findings(message) == {category: True}


def test_an_overdose_in_spanish_puts_the_emergency_number_first():
    assert safety.is_urgent("ya no puedo, me tomé todas las pastillas hace un rato")


@pytest.mark.parametrize(
    "message",
    [
        "let me bat first this time",
        "mi novio me regaló flores",
        "je veux mourir de rire avec cette série",
        "me quiero morir de vergüenza, le mandé el mensaje a mi jefe",
    ],
)
def test_everyday_words_in_other_languages_are_not_a_crisis(message):
    assert safety.rule_findings(message) == {}


@pytest.mark.parametrize(
    "message",
    [
        "i want to die lol my mum just read that text",
        "my team lost 4-0 i want to die 😂",
        'my friend texted me "i want to die" at 1am, what do i say to her',
        "my daughter yelled 'i wish i was dead' when i took her phone",
    ],
)
def test_a_joke_or_someone_elses_words_leave_the_phrase_in_doubt(message):
    assert safety.rule_findings(message) == {"self_harm": False}


@pytest.mark.parametrize(
    "message",
    [
        "i want to die",
        "i'm not joking, i want to die",
        "he said 'you're nothing' and honestly i want to die",
        "lol. i want to die and i mean it",  # the laugh is another sentence
    ],
)
def test_a_plain_wish_to_die_stands(message):
    assert safety.rule_findings(message) == {"self_harm": True}


def test_panic_that_feels_like_dying_is_not_a_wish_to_die():
    assert safety.rule_findings("when she doesnt text back i feel like im going to die") == {}
    assert safety.rule_findings("i feel like dying") == {"self_harm": True}


@pytest.mark.parametrize(
    "message",
    [
        "just drank bleach. idk why i did that",
        "i swallowed a cup of drain cleaner",
        "downed a bottle of antifreeze before he got home",
    ],
)
def test_poison_swallowed_is_self_harm_with_the_emergency_number_first(message):
    """Household poisons were heard by neither the rules nor the detector (0.13 on "i drank
    some bleach"): only pills counted as an overdose."""
    assert safety.rule_findings(message) == {"self_harm": True}
    assert safety.is_urgent(message)


def test_a_gun_on_ones_lap_is_self_harm_and_a_knife_to_ones_throat_abuse():
    assert safety.matches("loaded gun on my lap. wife is at his place") == [
        ("self_harm", "gun on my lap")
    ]
    assert "abuse" in {label for label, _ in safety.matches("he held a knife to my throat")}


@pytest.mark.parametrize(
    "message, urgent",
    [
        ("swallowed a bottle of my mums blood pressure pills, i feel dizzy", True),
        ("the pills are kicking in i think, cant feel my hands", True),
        ("the car is running in the closed garage and i'm sitting in it", True),
        ("he's kicking the bedroom door and screaming he'll kill me", True),
        ("he followed me here and he's waiting by the car", True),
        ("i jumped off the balcony and i think my leg is broken", True),
        # a thought or an ongoing pattern: the helplines, not the emergency number first
        ("i keep thinking about jumping off a bridge", False),
        ("my kids are waiting for me at home and i still want to die", False),
    ],
)
def test_danger_happening_now_is_urgent(message, urgent):
    """Set K's urgent rows (2026-12-07) had the emergency number first for under half."""
    assert safety.is_urgent(message) is urgent
