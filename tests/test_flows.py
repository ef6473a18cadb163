"""The flows registry through `Conversation`, with a stand-in dialogue (no model): text order,
one flow at a time, crisis interrupts every flow, safety reads first, the command table."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from bot import commands, flows, safety
from bot.conversation import Conversation
from bot.flows import Flow
from bot.payloads import ExerciseStart, Payload, ReflectionStart
from bot.replies import Reply
from bot.store import Store
from tests.conftest import DATA_KEY
from tests.fake_dialogue import FakeDialogue

USER = 31


@pytest.fixture
async def talk(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    dialogue = FakeDialogue()
    yield Conversation(store, dialogue, model_wait=0), dialogue
    await store.close()


async def test_text_goes_to_the_running_flow_and_otherwise_to_the_dialogue(talk):
    conversation, dialogue = talk
    assert [r.text for r in await conversation.on_text(USER, "hello")] == ["heard fake"]
    await conversation.on_payload(USER, ReflectionStart("stay_or_leave").pack())
    [question] = await conversation.on_text(USER, "we have been together nine years")
    assert dialogue.heard == ["hello"]  # the answer went to the reflection, not the model
    assert question.buttons  # the reflection's next question


async def test_starting_a_flow_sets_the_others_aside(talk):
    conversation, _ = talk
    await conversation.on_payload(USER, ReflectionStart("stay_or_leave").pack())
    assert await conversation.flow("reflections").active(USER)
    await conversation.on_payload(USER, ExerciseStart("breathing").pack())
    assert not await conversation.flow("reflections").active(USER)
    assert await conversation.flow("exercises").active(USER)
    await conversation.on_payload(USER, ReflectionStart("name_the_hurt").pack())
    assert not await conversation.flow("exercises").active(USER)


async def test_a_crisis_interrupts_every_flow_and_reaches_no_model(talk):
    conversation, dialogue = talk
    await conversation.on_payload(USER, ReflectionStart("stay_or_leave").pack())
    await conversation.on_payload(USER, ExerciseStart("body_reset").pack())
    await conversation.on_payload(USER, ReflectionStart("stay_or_leave").pack())
    replies = await conversation.on_text(USER, "i took all my pills an hour ago")
    assert replies[0].first and "emergency" in replies[0].text.lower()
    assert not any([await flow.active(USER) for flow in conversation.flows])
    assert dialogue.read == [] and dialogue.heard == []  # safety read it, nothing model-side


async def test_the_model_side_reads_a_text_only_after_the_screen(talk, monkeypatch):
    conversation, dialogue = talk
    order = []
    real_assess = safety.assess

    async def assess(text):
        order.append(("screen", text))
        return await real_assess(text)

    def start_reading(text):
        order.append(("model", text))

    monkeypatch.setattr("bot.safety.assess", assess)
    monkeypatch.setattr(dialogue, "start_reading", start_reading)
    await conversation.on_text(USER, "he hasnt texted in hours")
    assert order == [("screen", "he hasnt texted in hours"), ("model", "he hasnt texted in hours")]


async def test_an_unknown_button_is_refused_in_one_place(talk):
    conversation, dialogue = talk
    assert await conversation.on_payload(USER, "flow:start:../../etc") == []
    assert await conversation.on_payload(USER, "tell me a secret") == []
    assert dialogue.heard == []


@dataclass(frozen=True)
class Wave(Payload):
    pattern = re.compile(r"wave:(\d{1,3})")
    times: int
    starts = True

    @classmethod
    def _of(cls, match):
        return cls(int(match.group(1)))

    def _wire(self) -> str:
        return f"wave:{self.times}"


class Waving(Flow):
    """A throwaway flow: what a new flow needs to be routed to (its payload kind, its name)."""

    name = "waving"
    payloads = (Wave,)

    def __init__(self, store, options=flows.REAL_TIME):
        super().__init__(store, options)
        self.waving: set[int] = set()

    async def active(self, user_id):
        return user_id in self.waving

    async def on_payload(self, user_id, payload):
        self.waving.add(user_id)
        return [Reply("👋" * payload.times)]

    async def on_text(self, user_id, text):
        return [Reply("still waving")] if user_id in self.waving else None

    async def interrupt(self, user_id):
        self.waving.discard(user_id)


async def test_a_registered_flow_gets_its_buttons_text_and_interrupts(tmp_path, monkeypatch):
    registry = flows._registry()
    monkeypatch.setattr(flows, "_registry", lambda: (*registry, Waving))
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    try:
        conversation = Conversation(store, FakeDialogue(), model_wait=0)
        await conversation.on_payload(USER, ExerciseStart("body_reset").pack())
        [wave] = await conversation.on_payload(USER, Wave(3).pack())
        assert wave.text == "👋👋👋"
        assert not await conversation.flow("exercises").active(USER)  # set aside
        [reply] = await conversation.on_text(USER, "hi again")
        assert reply.text == "still waving"
        await conversation.on_text(USER, "i want to kill myself")
        assert not await conversation.flow("waving").active(USER)
    finally:
        await store.close()


def test_every_command_has_its_description_and_a_handler_somewhere():
    from bot.telegram import _OWN_COMMANDS

    for command in commands.COMMANDS:
        assert command.description.strip()
        assert command.handler is not None or command.name in _OWN_COMMANDS
    assert set(_OWN_COMMANDS) == {c.name for c in commands.COMMANDS if c.handler is None}


async def test_every_console_command_answers(talk):
    from bot.console import command
    from bot.texts import text

    conversation, _ = talk
    for listed in commands.on(commands.CONSOLE):
        replies = await command(conversation, f"/{listed.name}")
        assert replies and replies[0].text != text("unknown_command"), listed.name
    [unknown] = await command(conversation, "/clear")  # Telegram's only
    assert unknown.text == text("unknown_command")
