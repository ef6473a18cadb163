"""Issue 16: a question near the domain but outside it gets a kind "not what I'm for" with
somewhere to go (a counsellor, a calming exercise, what the bot does) and the likeliest topics
as buttons, in case it was in scope after all; never a confident reply on the wrong topic.
The messages were written for this test, not taken from any training or development set."""

from __future__ import annotations

import pytest

from bot.payloads import Intent

OFF_TOPIC = [
    "whats the best way to get my 4 year old to sleep in her own bed, shes in with us every night",
    "my sister keeps borrowing money off me and never pays it back. how do i say no without a row",
    "we split up in march and i still cry most days. how do i stop missing him",
]


@pytest.mark.parametrize("said", OFF_TOPIC)
async def test_an_off_topic_question_gets_somewhere_to_go(said, conversation):
    [reply] = await conversation.on_text(41, said)
    assert "counsellor" in reply.text
    payloads = [b.payload for b in reply.buttons]
    assert "ex:menu" in payloads and "/help" in payloads
    topics = [p for p in payloads if Intent.parse_as(p) is not None and p != "/help"]
    assert len(topics) == 3  # the likeliest topics, in case it was in scope after all
