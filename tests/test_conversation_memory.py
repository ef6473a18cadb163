"""Issue 15's parts that need no model: typed answers, the side read from words, the memory the
conversation keeps, the side question as a flow, a reflection's closing question."""

from __future__ import annotations

import time

import pytest

from bot import position
from bot.answers import NO, UNSURE, YES, yes_no
from bot.flows import build
from bot.flows.position import typed_side
from bot.payloads import ReflectionStart, Side
from bot.store import Store
from tests.conftest import DATA_KEY


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("yes", YES),
        ("Yeah!", YES),
        ("sure.", YES),
        ("yes please", YES),
        ("no thanks", NO),
        ("nope", NO),
        ("no, not now", NO),
        ("maybe later", NO),
        ("I want to go through her phone", None),
        ("yes but i dont know how", None),
    ],
)
def test_typed_yes_and_no(typed, expected):
    assert yes_no(typed) == expected


def test_not_sure_only_where_it_is_an_answer():
    assert yes_no("not sure", unsure=True) == UNSURE
    assert yes_no("idk", unsure=True) == UNSURE
    assert yes_no("not sure") is None


@pytest.mark.parametrize(
    ("said", "side"),
    [
        ("I cheated on my wife and she won't talk to me", position.BROKE_TRUST),
        ("how do I get HER to forgive ME", position.BROKE_TRUST),
        ("i lied to him about where i was", position.BROKE_TRUST),
        ("she cheated on me with her coworker", position.HURT),
        ("found texts on his phone from a coworker", position.HURT),
        ("my ex cheated, am I punishing my new partner for it?", position.FEARFUL),
        ("he has never done anything wrong but i panic", position.FEARFUL),
        ("nothing happened but I cant trust him", position.FEARFUL),
        ("my friend cheated on his gf", None),
        ("i never cheated but she thinks i did", None),
        ("what if he cheats", None),
        ("how long does healing take", None),
    ],
)
def test_the_side_read_from_plain_words(said, side):
    assert position.detect(said) == side


@pytest.mark.parametrize(
    ("typed", "side"),
    [
        ("i was hurt", position.HURT),
        ("the second one", position.BROKE_TRUST),
        ("me, i did it", position.BROKE_TRUST),
        ("neither, nothing happened", position.FEARFUL),
        ("rather not say", position.UNCLEAR),
        ("idk", position.UNCLEAR),
        ("he had an affair", position.HURT),
    ],
)
def test_a_typed_answer_to_which_side(typed, side):
    assert typed_side(typed) == side


@pytest.fixture
async def store(tmp_path):
    opened = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    yield opened
    await opened.close()


async def test_memory_is_per_person_and_dated(store):
    await store.remember(1, "position", "hurt")
    await store.remember(2, "position", "broke_trust")
    await store.remember(1, "position", "fearful")  # said again: the latest stands
    assert (await store.recall(1))["position"] == "fearful"
    assert await store.recall(1, since=time.time() + 60) == {}
    await store.forget(1, "position")
    assert await store.recall(1) == {}
    assert (await store.recall(2))["position"] == "broke_trust"


async def test_the_side_question_is_asked_once_and_hands_back_to_the_reply(store):
    flow = next(f for f in build(store) if f.name == "position")
    [asked] = await flow.on_payload(7, Side("ask", "forgiveness"))
    assert len(asked.buttons) == 4 and await flow.active(7)
    [handed] = await flow.on_text(7, "the first one")
    assert handed.then_intent == "forgiveness" and not handed.text
    assert await flow.known(7) == position.HURT and not await flow.active(7)
    # A long message instead of an answer: asked once is asked; the dialogue takes the text.
    await flow.on_payload(8, Side("ask", "forgiveness"))
    said = "honestly i just want us to go back to how things were before"
    assert await flow.on_text(8, said) is None
    assert await flow.known(8) == position.UNCLEAR
    # Asked, then passed over for another side topic: that one is answered, not asked again.
    await flow.on_payload(9, Side("ask", "forgiveness"))
    [handed] = await flow.on_payload(9, Side("ask", "common_mistakes"))
    assert handed.then_intent == "common_mistakes" and await flow.known(9) == position.UNCLEAR


async def test_a_reflection_closing_question_takes_its_answer_and_is_not_offered_again(store):
    flow = next(f for f in build(store) if f.name == "reflections")
    await flow.on_payload(9, ReflectionStart("past_or_present"))
    assert await flow.offers(9, ReflectionStart("past_or_present"))
    await flow.on_text(9, "my dad leaving")
    [note, summary] = await flow.on_text(9, "memories mostly")
    assert "/settings" in note.text  # no choice made about keeping writing yet
    assert summary.text.rstrip().endswith("?")
    [after] = await flow.on_text(9, "the past, i think")
    assert after.text and not after.text.rstrip().endswith("?")
    assert await flow.on_text(9, "something else entirely") is None  # answered once
    assert not await flow.offers(9, ReflectionStart("past_or_present"))
    assert await flow.offers(9, ReflectionStart("name_the_hurt"))
