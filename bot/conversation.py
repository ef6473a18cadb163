"""The pipeline every channel shares: safety first, then the dialogue model.

Telegram (bot/telegram.py) and the console chat (bot/console.py) both call this, so they behave
the same and keep their state in the same store.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

from bot import helplines, safety
from bot.dialogue import Button, Dialogue, ModelUnavailable, Reply
from bot.flows.exercises import Exercises
from bot.flows.reflection import Reflections
from bot.logs import user_tag
from bot.store import Store
from bot.texts import text, topics

logger = logging.getLogger(__name__)

# How long a message waits for a model that is still loading before we say so.
MODEL_WAIT_SECONDS = 20.0
# After a crisis nothing unasked-for is sent for this long (we do not know the person's day yet).
QUIET_SECONDS = 24 * 3600
# A disclosure changes the replies this long: someone who told us of abuse a week ago is most
# likely still living with it, and coaching to confront the partner could put them at risk.
DISCLOSURE_SECONDS = 30 * 24 * 3600
# "Are you safe?" asked longer ago than this is no longer what the next message answers.
CHECK_ANSWER_SECONDS = 6 * 3600
# A typed answer to "are you safe?" that is a clear no: it starts with a no and hedges nowhere.
# Anything else ("yeah", "idk maybe sometimes", "i meant yes") is taken as a yes.
_CLEAR_NO = re.compile(
    r"^\W*(?:no+|nope|nah|not at all|not really|never|all good"
    r"|(?:i'?m |i am )?(?:totally |all )?(?:ok|okay|fine|safe|good|alright)"
    r"|(?:i'?m|i am) not (?:suicidal|in danger|going to|gonna))\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(
    r"\b(yes|yeah|yea|yep|maybe|idk|sometimes|kind of|kinda|sort of|sorta|a bit|a little|but"
    r"|though|not sure|unsure|actually|meant|think about|thinking|thoughts"
    r"|not (?:ok|okay|fine|safe|good|alright))\b",
    re.IGNORECASE,
)

# Button payloads come back from the client, so only our own shapes are accepted: anything else
# could smuggle text past the safety screen.
_INTENT_PAYLOAD = re.compile(r"^/[a-z_]{1,60}$")
_COUNTRY_PAYLOAD = re.compile(r"^country:([A-Z]{2}|other)$")
_SAFETY_PAYLOAD = re.compile(r"^safety:(self_harm|abuse|ok|sos)$")
_FLOW_PAYLOAD = re.compile(
    r"^flow:(?:start:(?P<start>[a-z_]{1,40})|answer:(?P<answer>[a-z]{1,20})|stop)$"
)
SOMETHING_ELSE = "topic:other"
# The reply's `custom` key that puts it ahead of the chat's other unsent messages.
FIRST = "first"
_INVISIBLE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")


class Conversation:
    def __init__(
        self,
        store: Store,
        dialogue: Dialogue,
        model_wait: float = MODEL_WAIT_SECONDS,
        exercises: Exercises | None = None,
    ):
        self.store = store
        self.dialogue = dialogue
        self.model_wait = model_wait
        self.reflections = Reflections(store)
        self.exercises = exercises or Exercises(store)

    async def start(self, user_id: int) -> list[Reply]:
        first = await self.store.touch_user(user_id)
        replies = [Reply(text("welcome" if first else "welcome_back"))]
        if await self.store.country(user_id) is None:
            replies.append(country_question())
        return replies

    async def sos(self, user_id: int) -> list[Reply]:
        parts = [text("sos"), *_every_line(await self.store.country(user_id))]
        if await self._disclosed(user_id) == "abuse":
            parts.append(text("abuse_discreet"))
        return [Reply("\n\n".join(parts)), _stay()]

    async def on_text(self, user_id: int, message: str | list[str]) -> list[Reply]:
        """Free text typed by the person: screened for crisis before anything else. Several
        messages that waited together (one thought split over a few sends) are one turn with
        one answer; each is screened on its own."""
        parts = [message] if isinstance(message, str) else [m for m in message if _said(m)]
        if not any(_said(part) for part in parts):
            return [Reply(text("empty_text"))]
        message = "\n".join(parts)
        self.dialogue.start_reading(message)
        # The store's round trips run while the screen waits for the message's embedding.
        *verdicts, _, asked = await asyncio.gather(
            *(safety.assess(part) for part in parts),
            self.store.touch_user(user_id),
            self.store.take_safety_check(user_id, time.time() - CHECK_ANSWER_SECONDS),
        )
        verdict = safety.strongest(verdicts)
        if verdict.crisis:
            return await self._crisis(user_id, verdict.crisis, urgent=verdict.urgent)
        if asked is not None:
            return await self._safety_answer(user_id, asked, message)
        if verdict.category == safety.OTHER:
            return await self._someone_else(user_id)
        if verdict.ask and verdict.ask != await self._disclosed(user_id):
            # (Someone who already told us is not asked again: the replies are safety-first.)
            return await self._ask(user_id, verdict.ask, held=message)
        return await self._continue(user_id, message)

    async def _disclosed(self, user_id: int) -> str | None:
        return await self.store.disclosure(user_id, time.time() - DISCLOSURE_SECONDS)

    async def _continue(self, user_id: int, message: str) -> list[Reply]:
        """A text that is no crisis: the running flow takes it if it answers its step, else
        the dialogue model."""
        exercise = await self.exercises.on_text(user_id, message)
        if exercise is not None:
            return exercise
        if await self.reflections.active(user_id):
            return await self.reflections.answer(user_id, message)
        return await self._dialogue(user_id, message)

    async def _ask(self, user_id: int, category: str, held: str | None) -> list[Reply]:
        """The unsure tier: ask, and keep what was said until the answer, so a false alarm
        in the middle of a flow loses nothing."""
        logger.info("safety check (%s) for user %s", category, user_tag(user_id))
        await self.store.ask_safety(user_id, category, held)
        return _first([safety_check(category)])

    async def _safety_answer(
        self, user_id: int, asked: tuple[str, str | None], answer: str
    ) -> list[Reply]:
        """A typed answer to "are you safe?": a clear no goes back to where the person was;
        anything else is a yes."""
        category, held = asked
        if not _is_clear_no(answer):
            return await self._crisis(user_id, category)
        return await self._not_in_crisis(user_id, held)

    async def _not_in_crisis(self, user_id: int, held: str | None) -> list[Reply]:
        """After a no: a flow's answer that made us ask goes back to the flow; otherwise the
        conversation goes on from what the person says next."""
        in_flow = await self.store.open_exercise(user_id) or await self.reflections.active(user_id)
        if held is None or not in_flow:
            return [Reply(text("safety_check_ok"))]
        return [Reply(text("safety_check_ok_go_on")), *await self._continue(user_id, held)]

    async def ground(self, user_id: int) -> list[Reply]:
        await self.store.touch_user(user_id)
        return [await self.exercises.menu(user_id)]

    async def journal(self, user_id: int) -> list[Reply]:
        return [Reply(await self.exercises.journal_text(user_id))]

    async def forget_journal(self, user_id: int) -> list[Reply]:
        return [Reply(await self.exercises.forget_journal(user_id))]

    async def on_edit(self, user_id: int, message: str) -> list[Reply]:
        """An edit is usually a typo fix, so only newly added crisis language gets an answer."""
        verdict = await safety.assess(message)
        if verdict.crisis:
            return await self._crisis(user_id, verdict.crisis, urgent=verdict.urgent)
        return await self._ask(user_id, verdict.ask, held=None) if verdict.ask else []

    async def on_payload(self, user_id: int, payload: str) -> list[Reply]:
        """A button tap: one of our own payloads, never the person's text."""
        country = _COUNTRY_PAYLOAD.match(payload)
        if country:
            return await self.set_country(user_id, country.group(1))
        if payload.startswith("ex:start:"):
            return await self._start_exercise(user_id, payload.removeprefix("ex:start:"))
        if payload.startswith("ex:"):
            return await self.exercises.on_payload(user_id, payload)
        flow = _FLOW_PAYLOAD.match(payload)
        if flow:
            if flow.group("start"):
                await self.exercises.set_aside(user_id)
                return await self.reflections.start(user_id, flow.group("start"))
            if flow.group("answer"):
                return await self.reflections.answer(user_id, flow.group("answer"), chosen=True)
            return await self.reflections.stop(user_id)
        if payload == SOMETHING_ELSE:
            return [Reply(text("say_more"))]
        answer = _SAFETY_PAYLOAD.match(payload)
        if answer:
            if answer.group(1) == "sos":
                return await self.sos(user_id)
            asked = await self.store.take_safety_check(user_id, time.time() - CHECK_ANSWER_SECONDS)
            if answer.group(1) == "ok":
                return await self._not_in_crisis(user_id, asked[1] if asked else None)
            return await self._crisis(user_id, answer.group(1))
        if not _INTENT_PAYLOAD.match(payload):
            logger.warning("ignored an unknown button payload from user %s", user_tag(user_id))
            return []
        await self.store.touch_user(user_id)
        return await self._dialogue(user_id, payload)

    async def set_country(self, user_id: int, code: str) -> list[Reply]:
        code = code.upper()
        if helplines.known(code):
            await self.store.set_country(user_id, code)
            return [Reply(text("country_set").format(country=helplines.countries()[code]))]
        await self.store.set_country(user_id, "other")
        return [Reply(text("country_unknown_set"))]

    async def _start_exercise(self, user_id: int, name: str) -> list[Reply]:
        await self.reflections.interrupt(user_id)  # one guided flow at a time
        return await self.exercises.start(user_id, name)

    async def _crisis(
        self, user_id: int, category: safety.Category, urgent: bool = False
    ) -> list[Reply]:
        logger.info("crisis reply (%s) for user %s", category, user_tag(user_id))
        await self.store.set_quiet_until(user_id, time.time() + QUIET_SECONDS)
        await self.store.set_disclosure(user_id, category)
        await self.reflections.interrupt(user_id)
        await self.exercises.interrupt(user_id)
        await self.dialogue.interrupt(str(user_id), slots={"disclosure": category})
        country = await self.store.country(user_id)
        kind = "crisis" if category == "self_harm" else "abuse"
        parts = [
            text(f"crisis_{category}").rstrip(),
            "\n".join(helplines.lines(kind, country)),
            _emergency_line(country),
        ]
        if urgent:
            # Danger now: the emergency number before anything else, even the kind words.
            parts.insert(0, parts.pop())
        if not helplines.known(country):
            parts.append(text("country_hint"))
        if category == "abuse":
            parts.append(text("abuse_discreet"))
        return _first([Reply("\n\n".join(parts)), _stay()])

    async def _someone_else(self, user_id: int) -> list[Reply]:
        """Someone else is in danger: the same lines, framed for the person helping them."""
        logger.info("helper reply for user %s", user_tag(user_id))
        parts = [text("crisis_other").rstrip(), *_every_line(await self.store.country(user_id))]
        return _first([Reply("\n\n".join(parts)), Reply(text("crisis_other_stay"))])

    async def _dialogue(self, user_id: int, message: str) -> list[Reply]:
        disclosed = await self._disclosed(user_id)
        try:
            turn = await self.dialogue.respond(
                str(user_id), message, wait=self.model_wait, slots={"disclosure": disclosed}
            )
        except ModelUnavailable as error:
            return [Reply(text("model_failed" if error.failed else "model_loading"))]
        already_told = turn.intent == disclosed and any(r.text for r in turn.replies)
        if turn.intent in safety.CATEGORIES and not already_told:
            # Only the model heard a crisis: ask, kindly, rather than decide for the person.
            # (Someone who already told us gets the domain's safety-first variation instead.)
            if turn.confidence >= safety.MODEL_SIGNAL_CONFIDENCE:
                return await self._ask(user_id, turn.intent, held=None)
            return [Reply(text("say_more"))]
        replies = await self._render(user_id, turn)
        if disclosed and replies and not replies[-1].buttons:
            # After a disclosure the helplines stay one tap away.
            replies[-1] = Reply(replies[-1].text, (Button(text("sos_button"), "safety:sos"),))
        return replies

    async def _render(self, user_id: int, turn) -> list[Reply]:
        if any(r.custom.get("fallback") for r in turn.replies):
            said = next((r.text for r in turn.replies if r.text), "")
            return [unsure(said, turn.ranking)]
        replies = []
        for reply in turn.replies:
            # A response may ask for an exercise (domain.yml: custom {exercise: menu | name}).
            wanted = reply.custom.get("exercise")
            if wanted == "menu":
                replies.append(await self.exercises.menu(user_id))
            elif wanted:
                replies.extend(await self._start_exercise(user_id, wanted))
            elif reply.text or reply.buttons:
                replies.append(reply)
        return replies


def _first(replies: list[Reply]) -> list[Reply]:
    """Safety replies go to the head of the chat's queue of unsent messages (bot/outbox.py)."""
    return [Reply(r.text, r.buttons, {**r.custom, FIRST: True}, r.rows) for r in replies]


def _said(message: str) -> bool:
    """False for text that is only spaces, including the ones `str.strip` keeps (zero-width)."""
    return bool(_INVISIBLE.sub("", message))


def _is_clear_no(answer: str) -> bool:
    return bool(_CLEAR_NO.match(answer.strip())) and not _HEDGE.search(answer)


def _every_line(country: str | None) -> list[str]:
    """Crisis and abuse lines with their headings, the emergency number, and the country hint
    when we do not know where the person is: for /sos and for someone helping another."""
    parts = [
        "\n".join([text("sos_crisis_heading"), *helplines.lines("crisis", country)]),
        "\n".join([text("sos_abuse_heading"), *helplines.lines("abuse", country)]),
        _emergency_line(country),
    ]
    return parts if helplines.known(country) else [*parts, text("country_hint")]


def _emergency_line(country: str | None) -> str:
    number = helplines.emergency(country)
    return text("emergency_known").format(emergency=number) if number else text("emergency_unknown")


def _stay() -> Reply:
    """After crisis help, the bot stays: a calming exercise, or just keep talking."""
    return Reply(text("crisis_stay"), (Button(text("crisis_grounding_button"), "ex:menu"),))


def unsure(message: str, ranking: tuple[tuple[str, float], ...]) -> Reply:
    """Not sure what was meant: the likeliest topics from the model's ranking, and a way out."""
    likely = [name for name, _ in ranking if name in topics()][:3]
    buttons = [Button(topics()[name], f"/{name}") for name in likely]
    return Reply(
        f"{message} {text('unsure_pick')}".strip(),
        (*buttons, Button(text("something_else"), SOMETHING_ELSE)),
    )


def safety_check(category: safety.Category) -> Reply:
    return Reply(
        text(f"safety_check_{category}"),
        (
            Button(text("safety_check_yes"), f"safety:{category}"),
            Button(text("safety_check_no"), "safety:ok"),
        ),
    )


def country_question() -> Reply:
    buttons = [Button(name, f"country:{code}") for code, name in helplines.countries().items()]
    return Reply(
        text("country_question"), (*buttons, Button(text("country_other"), "country:other"))
    )
