"""Guided reflections: the guide's questions one at a time, answers kept in the store.

The state lives in the database (table `reflections`), so a restart mid-way simply continues with
the next answer. Safety screening happens before any answer reaches this module.
"""

from __future__ import annotations

import random
import time
from functools import cache
from pathlib import Path

import yaml

from bot.answers import yes_no
from bot.flows import ANSWER_SECONDS, CONVERSATION_SECONDS, Flow
from bot.payloads import Payload, ReflectionAnswer, ReflectionStart, ReflectionStop
from bot.replies import Button, Reply

FILE = Path(__file__).resolve().parent.parent / "data" / "reflections.yml"
FOLLOW_UP = "reflection_follow_up"  # memory key: the reflection whose summary asked a question


@cache
def _data() -> dict:
    return yaml.safe_load(FILE.read_text(encoding="utf-8"))


def names() -> list[str]:
    return [k for k, v in _data().items() if isinstance(v, dict) and "steps" in v]


def _flow(name: str) -> dict:
    return _data()[name]


def _question(flow: dict, step: int, prefix: str = "") -> Reply:
    spec = flow["steps"][step]
    buttons = [
        Button(_data()["choices"][c], ReflectionAnswer(c).pack()) for c in spec.get("choices", [])
    ]
    ask = f"{prefix}\n\n{spec['ask']}" if prefix else spec["ask"]
    return Reply(ask, (*buttons, Button(_data()["stop_button"], ReflectionStop().pack())))


def _summary(flow: dict, answers: dict) -> str:
    if "{answers}" in flow["summary"]:
        lines = []
        for spec in flow["steps"]:
            value = answers.get(spec["key"], "")
            shown = _data()["choices"].get(value, value) if spec.get("choices") else value
            lines.append(f"• {spec['label']}: {shown}")
        return flow["summary"].replace("{answers}", "\n".join(lines))
    return flow["summary"].format(**{s["key"]: answers.get(s["key"], "…") for s in flow["steps"]})


def is_stop(text: str) -> bool:
    return text.strip().lower().strip(".! ") in _data()["stop_words"]


class Reflections(Flow):
    name = "reflections"
    payloads = (ReflectionStart, ReflectionAnswer, ReflectionStop)

    async def active(self, user_id: int) -> bool:
        return await self.store.active_reflection(user_id) is not None

    async def on_text(self, user_id: int, text: str) -> list[Reply] | None:
        active = await self.store.active_reflection(user_id)
        if active is not None:
            return await self.answer(user_id, text, active=active)
        return await self._follow_up(user_id)

    async def _follow_up(self, user_id: int) -> list[Reply] | None:
        """The summary ended with a question: whatever the person says next answers it."""
        name = await self.remembered(user_id, FOLLOW_UP, ANSWER_SECONDS)
        if name is None:
            return None
        await self.store.forget(user_id, FOLLOW_UP)
        return [Reply(random.choice(_flow(name)["after"])["text"])]

    async def offers(self, user_id: int, payload: Payload) -> bool:
        if not isinstance(payload, ReflectionStart):
            return True
        since = time.time() - CONVERSATION_SECONDS  # finished_at is the store's time.time()
        return payload.name not in await self.store.reflections_finished(user_id, since)

    async def on_payload(self, user_id: int, payload: Payload) -> list[Reply]:
        if isinstance(payload, ReflectionStart):
            return await self.start(user_id, payload.name)
        if isinstance(payload, ReflectionAnswer):
            return await self.answer(user_id, payload.choice, chosen=True)
        return await self.stop(user_id)

    async def start(self, user_id: int, name: str) -> list[Reply]:
        if name not in names():
            return []
        await self.store.start_reflection(user_id, name)
        flow = _flow(name)
        return [_question(flow, 0, prefix=flow["intro"])]

    async def stop(self, user_id: int) -> list[Reply]:
        await self.store.drop_reflection(user_id)
        return [Reply(_data()["stopped"])]

    async def answer(
        self, user_id: int, answer: str, chosen: bool = False, active: tuple | None = None
    ) -> list[Reply]:
        """Typed text, or (`chosen`) the value of a tapped choice button. `active` is the
        reflection when the caller has just read it."""
        active = active or await self.store.active_reflection(user_id)
        if active is None:  # a button from a reflection that already ended
            return [Reply(_data()["stale"])]
        reflection_id, name, step, answers = active
        if not chosen and is_stop(answer):
            return await self.stop(user_id)
        flow = _flow(name)
        spec = flow["steps"][step]
        if spec.get("choices"):
            value = answer if chosen else _typed_choice(answer)
            if value not in spec["choices"]:
                return [_question(flow, step)]  # ask again, with the buttons
            answer = value
        elif chosen:
            return [_question(flow, step)]  # a stale button from an earlier question
        answers[spec["key"]] = answer.strip()
        if step + 1 < len(flow["steps"]):
            await self.store.save_reflection(reflection_id, step + 1, answers)
            return [_question(flow, step + 1)]
        # The answers were held (sealed) only to get here; they stay only with the person's
        # consent to keep what they write (/settings).
        consent = await self.store.writing_consent(user_id)
        kept = answers if consent else {}
        await self.store.save_reflection(reflection_id, step + 1, kept, finished=True)
        if flow.get("after"):
            await self.store.remember(user_id, FOLLOW_UP, name)
        # Said first: the summary may end with a question, which should stay the last word.
        note = [Reply(_data()["not_kept"])] if consent is None else []
        return [*note, Reply(_summary(flow, answers))]

    async def interrupt(self, user_id: int) -> None:
        """A crisis ends a reflection at once; its answers are not kept."""
        await self.store.drop_reflection(user_id)
        await self.store.forget(user_id, FOLLOW_UP)


def _typed_choice(text: str) -> str | None:
    return yes_no(text, unsure=True)
