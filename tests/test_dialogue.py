"""The dialogue pipeline with the really trained model and a real SQLite file, no Telegram."""

from __future__ import annotations

import json

from bot.dialogue import _without_words
from bot.payloads import SomethingElse
from bot.texts import topics

BASICS = {"greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge", "help", "out_of_scope"}
# How the person is now, not a topic to pick from the "which of these?" buttons.
STATES = {"relief", "goodnight", "distress", "vent"}
CRISIS = {"self_harm", "abuse"}
# Questions about the bot and the person's data: answered with /privacy's facts, not a topic.
DATA_RIGHTS = {"delete_data", "privacy_question"}


async def test_a_reply_never_repeats_word_for_word_in_a_row(conversation):
    # (Topics asked twice in a row are a different case: the second is heard as an answer.)
    for payload in ("/greet", "/relief", "/goodbye"):
        # 24 turns: the chance that a fair pick never reaches the third variation is 2^-22.
        said = [(await conversation.on_payload(7, payload))[0].text for _ in range(24)]
        assert all(a != b for a, b in zip(said, said[1:], strict=False)), payload
        assert len(set(said)) == 3  # and every variation gets its turn


async def test_unsure_offers_the_likeliest_topics_and_a_way_out(conversation):
    [reply] = await conversation.on_text(8, "we need to figure some stuff out")
    assert "something else" in reply.text.lower()
    payloads = [b.payload for b in reply.buttons]
    assert 1 <= len(payloads) - 1 <= 3
    assert payloads[-1] == SomethingElse().pack()
    assert all(p.removeprefix("/") in topics() for p in payloads[:-1])
    [after] = await conversation.on_payload(8, SomethingElse().pack())
    assert "tell me a bit more" in after.text


async def test_a_topic_button_leads_to_its_grounded_reply(conversation, texts_of):
    [reply] = await conversation.on_payload(9, "/faq_therapy")
    assert reply.text in texts_of("utter_faq_therapy")


def test_every_content_intent_has_a_topic_button(domain_responses):
    import yaml

    from bot.settings import ROOT

    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])
    assert set(topics()) == intents - BASICS - STATES - CRISIS - DATA_RIGHTS


async def test_a_button_from_an_ended_reflection_still_gets_an_answer(conversation):
    [reply] = await conversation.on_payload(10, "flow:answer:yes")
    assert "already ended" in reply.text
    assert await conversation.store.active_reflection(10) is None


async def test_the_sessions_kept_in_memory_are_what_the_file_holds(conversation, agent):
    """The tracker store's in-memory sessions must never drift from SQLite, the real record."""
    store, dialogue = conversation.store, conversation.dialogue
    said = ("hi", "my ex cheated and i cant trust my new bf", "i want to go through his phone")
    for text in said:
        await conversation.on_text(11, text)
    await dialogue.interrupt("11")  # a Restarted appended outside a normal turn
    await conversation.on_text(11, "how long does it take to trust again")
    await conversation.on_text(12, "thanks")
    trackers = dialogue._trackers
    for sender in ("11", "12"):
        # Compared as JSON, as the file holds them (a tuple in memory is a list there).
        kept = json.loads(json.dumps(trackers._sessions[sender]))
        assert kept == await store.session_events(sender)
    # A database attached anew (a restart) starts from the file, not from the old memory.
    dialogue.use(agent)
    assert trackers._sessions == {}
    tracker = await agent.tracker_store.retrieve("11")
    reloaded = json.loads(json.dumps([e.as_dict() for e in tracker.events]))
    # Rasa writes the words it never had back as None; the file has no such key at all.
    assert [_without_words(e) for e in reloaded] == await store.session_events("11")
    assert all(e.get("text") is None for e in reloaded if e["event"] == "user")


async def test_an_embedding_started_early_is_the_one_the_model_uses(conversation):
    """Started when the text arrives, computed once, and picked up by the model's turn."""
    from bot.model.encoder import shared_encoder

    encoder = shared_encoder()
    text = "we had a fight about my ex again and now i cant sleep"
    computed = []
    original = encoder.encode_many
    encoder.encode_many = lambda texts: computed.extend(texts) or original(texts)
    try:
        conversation.dialogue.start_reading(text)
        conversation.dialogue.start_reading(text)  # a redelivery, say: still one computation
        turn = await conversation.dialogue.respond("13", text)
    finally:
        encoder.encode_many = original
    assert computed == [text]
    assert turn.intent is not None and text not in encoder._prepared
