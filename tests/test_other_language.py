"""A message in a language the model cannot read gets an honest "I read English only", with the
helplines, instead of a topic or an off-topic reply guessed from words it did not understand.
The messages were written for this test."""

from __future__ import annotations

import pytest

from bot import safety
from bot.flows.exercises import Exercises

NOT_ENGLISH = [
    "kocam beni aldattı, boşanmayı düşünüyorum. ona tekrar nasıl güvenebilirim?",
    "mi novio no me contesta desde hace horas y no puedo dejar de pensar que está con otra",
    "ik vertrouw mijn vriendin niet meer sinds ik die berichten op haar telefoon zag",
    # Other scripts have no Latin words to count; these were read as short English messages.
    "我男朋友一直在看他前女友的照片",
    "он опять не отвечает",
    "질투가 나요",
]


@pytest.mark.parametrize("said", NOT_ENGLISH)
def test_a_message_in_another_language_is_known_as_one(said):
    assert not safety.reads_as_english(said)


@pytest.mark.parametrize(
    "said",
    [
        "ok",
        "hola",  # too short to tell; the model takes it
        "he said 'привет' to her on insta 😒 who is she",
        "😭😭😭",
        "my gf keeps saying 'te quiero' to her ex on whatsapp and i cant stop checking",
        "its been 4 hrs since he texted back and i cant breathe properly",
    ],
)
def test_english_and_short_messages_are_read_as_english(said):
    assert safety.reads_as_english(said)


async def test_another_language_gets_an_honest_reply_with_the_helplines(conversation):
    await conversation.set_country(51, "GB")
    said, again = await conversation.on_text(51, NOT_ENGLISH[0])
    assert "only read English" in said.text
    assert "999" in said.text  # the emergency number of the person's country
    assert "English" in again.text
    assert await conversation.store.session_events("51") == []  # the model was not asked


async def test_a_journal_entry_in_another_language_is_kept(conversation):
    store = conversation.store
    await store.set_writing_consent(52, True)
    await Exercises(store).start(52, "journal")
    run = await store.open_exercise(52)
    run["step"], run["state"]["prompt"] = "write", 0
    await store.save_exercise(run)
    await conversation.on_text(52, NOT_ENGLISH[1])
    assert [e["entry"] for e in await store.journal_entries(52)] == [NOT_ENGLISH[1]]


async def test_a_second_message_in_another_language_is_not_answered_with_the_same_block(
    conversation,
):
    await conversation.set_country(53, "GB")
    first, _ = await conversation.on_text(53, NOT_ENGLISH[0])
    [again] = await conversation.on_text(53, NOT_ENGLISH[2])
    assert again.text != first.text and "English" in again.text
    assert "999" in again.text  # the emergency number stays
