"""The pipeline every channel shares: safety first, then the dialogue model.

Telegram (bot/telegram.py) and the console chat (bot/console.py) both call this, so they behave
the same and keep their state in the same store.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import replace

from bot import commands, flows, helplines, payloads, safety
from bot.dialogue import Dialogue, ModelUnavailable, Turn
from bot.flows import CONVERSATION_SECONDS, REAL_TIME, Flow
from bot.flows.position import POSITION
from bot.logs import user_tag
from bot.model.sentences import is_long
from bot.payloads import (
    Country,
    ExerciseMenu,
    ExerciseStart,
    Forget,
    Intent,
    Payload,
    SafetyAnswer,
    SomethingElse,
)
from bot.replies import Button, Pace, Reply, first
from bot.store import Store
from bot.texts import text, topics
from bot.threads import second_thread

logger = logging.getLogger(__name__)

# How long a message waits for a model that is still loading before we say so.
MODEL_WAIT_SECONDS = 20.0
# After a crisis nothing unasked-for is sent for this long (we do not know the person's day yet).
QUIET_SECONDS = 24 * 3600
# A disclosure changes the replies this long: someone who told us of abuse a week ago is most
# likely still living with it, and coaching to confront the partner could put them at risk.
DISCLOSURE_SECONDS = 30 * 24 * 3600
# A "could you say more?" within this long is the one before: the next unsure reply differs.
FALLBACK_SECONDS = 15 * 60
# Remembered when a message in another language got the "I read English only" reply.
OTHER_LANGUAGE = "other_language"
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
_INVISIBLE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")


class Conversation:
    """`channel` names the commands /help lists (bot/commands.py); `options` speed the flows
    up for tests."""

    def __init__(
        self,
        store: Store,
        dialogue: Dialogue,
        model_wait: float = MODEL_WAIT_SECONDS,
        options: flows.Options = REAL_TIME,
        channel: str = commands.TELEGRAM,
    ):
        self.store = store
        self.dialogue = dialogue
        self.model_wait = model_wait
        self.channel = channel
        self.flows = flows.build(store, options)
        self._owners = {kind: flow for flow in self.flows for kind in flow.payloads}
        # Called with every turn the model answered, and the message it read (the scripted
        # replays in tests/ judge from it what was understood).
        self.on_turn: Callable[[int, str, Turn], None] | None = None

    def flow(self, name: str) -> Flow:
        return next(flow for flow in self.flows if flow.name == name)

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
        # Safety reads the text before anything model-side does; the store's round trips run
        # meanwhile.
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
        # The screen has read it: the model side may now. The embedding (most of a turn's
        # work) is computed while the flows look at the text.
        self.dialogue.start_reading(message)
        return await self._continue(user_id, message)

    async def _disclosed(self, user_id: int) -> str | None:
        return await self.store.disclosure(user_id, time.time() - DISCLOSURE_SECONDS)

    async def _continue(self, user_id: int, message: str) -> list[Reply]:
        """A text that is no crisis: the running flow takes it if it answers its step, else
        the dialogue model."""
        for flow in self.flows:
            replies = await flow.on_text(user_id, message)
            if replies is not None:
                return await self._handed_back(user_id, replies)
        if not safety.reads_as_english(message):
            return await self._other_language(user_id)
        return await self._dialogue(user_id, message)

    async def _other_language(self, user_id: int) -> list[Reply]:
        """The model reads English only: rather than a topic guessed from words it cannot read,
        say so, and show the helplines, since the screen may have missed danger in this language
        too. (A flow's step, such as a journal entry, still takes any language.)"""
        memory = await self.store.memory(user_id)
        await self.store.remember(user_id, OTHER_LANGUAGE, "1")
        country = await self.store.country(user_id)
        if memory.get(OTHER_LANGUAGE, ("", 0.0))[1] >= time.time() - FALLBACK_SECONDS:
            # Said a moment ago: not the same block again, the emergency number stays.
            return [Reply("\n\n".join([text("other_language_still"), _emergency_line(country)]))]
        parts = [text("other_language"), *_every_line(country)]
        return [Reply("\n\n".join(parts)), Reply(text("other_language_again"))]

    async def _handed_back(self, user_id: int, replies: list[Reply]) -> list[Reply]:
        """A flow may hand the turn back to the dialogue (`then_intent`): its reply follows."""
        out: list[Reply] = []
        for reply in replies:
            if reply.then_intent:
                out.extend(await self._dialogue(user_id, "", then=f"utter_{reply.then_intent}"))
            else:
                out.append(reply)
        return out

    async def _ask(self, user_id: int, category: str, held: str | None) -> list[Reply]:
        """The unsure tier: ask, and keep what was said until the answer, so a false alarm
        in the middle of a flow loses nothing."""
        logger.info("safety check (%s) for user %s", category, user_tag(user_id))
        await self.store.ask_safety(user_id, category, held)
        return first([safety_check(category)])

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
        in_flow = any([await flow.active(user_id) for flow in self.flows])
        if held is None or not in_flow:
            return [Reply(text("safety_check_ok"))]
        return [Reply(text("safety_check_ok_go_on")), *await self._continue(user_id, held)]

    async def ground(self, user_id: int) -> list[Reply]:
        await self.store.touch_user(user_id)
        return await self._to_flow(user_id, ExerciseMenu())

    async def on_edit(self, user_id: int, message: str) -> list[Reply]:
        """An edit is usually a typo fix, so only newly added crisis language gets an answer."""
        verdict = await safety.assess(message)
        if verdict.crisis:
            return await self._crisis(user_id, verdict.crisis, urgent=verdict.urgent)
        return await self._ask(user_id, verdict.ask, held=None) if verdict.ask else []

    async def on_payload(self, user_id: int, data: str) -> list[Reply]:
        """A button tap: one of our own payloads (bot/payloads.py), never the person's text."""
        payload = payloads.parse(data)
        if isinstance(payload, Country):
            return await self.set_country(user_id, payload.code)
        if isinstance(payload, SomethingElse):
            return [Reply(text("say_more"))]
        if isinstance(payload, SafetyAnswer):
            return await self._safety_tap(user_id, payload.answer)
        if isinstance(payload, Forget):
            return (
                await self.forget(user_id)
                if payload.answer == "yes"
                else [Reply(text("forget_kept"))]
            )
        if isinstance(payload, Intent):
            await self.store.touch_user(user_id)
            return await self._dialogue(user_id, data)
        if payload is None or type(payload) not in self._owners:
            logger.warning("ignored an unknown button payload from user %s", user_tag(user_id))
            return []
        return await self._to_flow(user_id, payload)

    async def _to_flow(self, user_id: int, payload: Payload) -> list[Reply]:
        owner = self._owners[type(payload)]
        if payload.starts:  # one guided flow at a time
            for flow in self.flows:
                if flow is not owner:
                    await flow.set_aside(user_id)
        return await self._handed_back(user_id, await owner.on_payload(user_id, payload))

    async def _safety_tap(self, user_id: int, answer: str) -> list[Reply]:
        if answer == "sos":
            return await self.sos(user_id)
        asked = await self.store.take_safety_check(user_id, time.time() - CHECK_ANSWER_SECONDS)
        if answer == "ok":
            return await self._not_in_crisis(user_id, asked[1] if asked else None)
        return await self._crisis(user_id, answer)

    def forget_question(self) -> Reply:
        """/forget asks first: deleting everything cannot be undone."""
        yes = Button(text("forget_yes"), Forget("yes").pack())
        return Reply(text("forget_ask"), (yes, Button(text("forget_no"), Forget("no").pack())))

    async def forget(self, user_id: int) -> list[Reply]:
        """Deletes every row about the person; the next message starts fresh."""
        for flow in self.flows:
            await flow.interrupt(user_id)
        await self.store.forget_person(user_id)
        self.dialogue.forget(str(user_id))
        logger.info("forgot user %s", user_tag(user_id))
        return [Reply(text("forget_done"))]

    async def country(self, user_id: int, code: str | None) -> list[Reply]:
        """/country: with a code it is set; without, the question with a button per country."""
        return await self.set_country(user_id, code) if code else [country_question()]

    async def set_country(self, user_id: int, code: str) -> list[Reply]:
        code = code.upper()
        if helplines.known(code):
            await self.store.set_country(user_id, code)
            said = text("country_set").format(country=helplines.countries()[code])
        else:
            await self.store.set_country(user_id, "other")
            said = text("country_unknown_set")
        if await self.store.schedule(user_id) is None and not await self.store.is_quiet(user_id):
            # Onboarding's next question: daily reminders, asked once (skippable); never
            # right after a crisis reply, whose /country hint may have brought them here.
            offer = await self.flow("schedule").offer(user_id)
            return [Reply(f"{said}\n\n{offer.text}", offer.buttons)]
        return [Reply(said)]

    async def still_pacing(self, pace: Pace) -> bool:
        """Whether a paced exercise is still wanted (not stopped, not replaced)."""
        return await self.flow(pace.flow).still_pacing(pace.run_id, pace.token)

    async def paced_done(self, pace: Pace) -> list[Reply]:
        return await self.flow(pace.flow).paced_done(pace.run_id, pace.token)

    async def _crisis(
        self, user_id: int, category: safety.Category, urgent: bool = False
    ) -> list[Reply]:
        logger.info("crisis reply (%s) for user %s", category, user_tag(user_id))
        await self.store.set_quiet_until(user_id, time.time() + QUIET_SECONDS)
        await self.store.set_disclosure(user_id, category)
        for flow in self.flows:
            await flow.interrupt(user_id)
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
        return first([Reply("\n\n".join(parts)), _stay()])

    async def _someone_else(self, user_id: int) -> list[Reply]:
        """Someone else is in danger: the same lines, framed for the person helping them."""
        logger.info("helper reply for user %s", user_tag(user_id))
        parts = [text("crisis_other").rstrip(), *_every_line(await self.store.country(user_id))]
        return first([Reply("\n\n".join(parts)), Reply(text("crisis_other_stay"))])

    async def _dialogue(self, user_id: int, message: str, then: str = "") -> list[Reply]:
        """The model's turn for `message`; or, with `then`, that one response said (a flow hands
        the turn back with the reply it was asked for)."""
        disclosed = await self._disclosed(user_id)
        now = time.time()  # the store stamps what it remembers with time.time()
        memory = await self.store.memory(user_id)  # one read, for the whole turn
        known = memory.get(POSITION, (None, 0.0))[0]
        declined = memory.get("exercise_declined", ("", 0.0))[1] >= now - CONVERSATION_SECONDS
        slots = {"disclosure": disclosed, POSITION: known, "exercise_declined": declined}
        try:
            if then:
                turn = await self.dialogue.perform(
                    str(user_id), then, wait=self.model_wait, slots=slots
                )
            else:
                turn = await self.dialogue.respond(
                    str(user_id), message, wait=self.model_wait, slots=slots
                )
        except ModelUnavailable as error:
            return [Reply(text("model_failed" if error.failed else "model_loading"))]
        if self.on_turn is not None:
            self.on_turn(user_id, message, turn)
        await self._side(user_id, turn, known)
        already_told = turn.intent == disclosed and any(r.text for r in turn.replies)
        if turn.intent in safety.CATEGORIES and not already_told:
            # Only the model heard a crisis: ask, kindly, rather than decide for the person.
            # (Someone who already told us gets the domain's safety-first variation instead.)
            if turn.confidence >= safety.MODEL_SIGNAL_CONFIDENCE:
                return await self._ask(user_id, turn.intent, held=None)
            if not any(a.startswith("utter_heard_") for a in turn.actions):
                said_more = memory.get("said_more", ("", 0.0))[1] >= now - FALLBACK_SECONDS
                return [await self._say_more(user_id, turn, said_more)]
            # (A weak signal in an answer to the bot's question: the answer is heard.)
        if "said_more" in memory:  # understood now: the next unsure reply is a first again
            await self.store.forget(user_id, "said_more")
        replies = await self._render(user_id, turn, message)
        if not disclosed:  # after a disclosure the last button is the helplines'
            replies = also_mentioned(turn, replies)
        if disclosed and replies and not replies[-1].buttons:
            # After a disclosure the helplines stay one tap away.
            sos = Button(text("sos_button"), SafetyAnswer("sos").pack())
            replies[-1] = Reply(replies[-1].text, (sos,))
        return replies

    async def _side(self, user_id: int, turn: Turn, known: str | None) -> None:
        """The side the message told (bot/model/position_extractor.py), kept for next time. Said
        in so many words it stands (and the slot had it this turn already); guessed, it only
        fills a side not yet known."""
        said, guessed = turn.entities.get("position/said"), turn.entities.get("position/guessed")
        side = said or (guessed if known in (None, "unclear") else None)
        if side and side != known:
            await self.store.remember(user_id, POSITION, side)

    async def _say_more(self, user_id: int, turn: Turn, asked: bool) -> Reply:
        """Unsure whether it is a crisis: ask for more, and never twice in the same words
        (`asked`: the last reply was this one)."""
        await self.store.remember(user_id, "said_more", "1")
        if asked:
            return unsure(text("unsure_again"), turn.ranking, listen=True)
        return Reply(text("say_more"))

    async def _render(self, user_id: int, turn: Turn, message: str) -> list[Reply]:
        fallback = next(
            (r.custom["fallback"] for r in turn.replies if r.custom.get("fallback")), None
        )
        if fallback:
            said = next((r.text for r in turn.replies if r.text), "")
            if fallback is True and is_long(message):
                # Not "I didn't catch that" to someone who wrote a paragraph (bot/model/fallback.py)
                said = text("unsure_long")
            # The second in a row also offers simply to listen (domain.yml: utter_default_again).
            return [unsure(said, turn.ranking, listen=fallback == "again")]
        replies: list[Reply] = []
        for reply in turn.replies:
            if reply.custom.get("remember"):
                # domain.yml: {remember: exercise_declined}, kept for this conversation.
                await self.store.remember(user_id, reply.custom["remember"], "1")
            reply = replace(reply, buttons=await self._worth_offering(user_id, reply.buttons))
            # A response may ask for an exercise (domain.yml: custom {exercise: menu | name}),
            # as the matching button would.
            wanted = reply.custom.get("exercise")
            tapped = payloads.parse(reply.custom.get("tap"))  # {tap: "ci:start"}: as if tapped
            if wanted:
                tap = ExerciseMenu() if wanted == "menu" else ExerciseStart(wanted)
                replies.extend(await self._to_flow(user_id, tap))
            elif tapped is not None and type(tapped) in self._owners:
                replies.extend(await self._to_flow(user_id, tapped))
            elif reply.custom.get("commands") and replies:
                # /help's list of commands comes from the one table (bot/commands.py).
                listed = f"{text('commands_heading')}\n{commands.help_lines(self.channel)}"
                replies[-1] = replace(replies[-1], text=f"{replies[-1].text}\n\n{listed}")
            elif reply.custom.get("topics") and replies:
                # Off topic (domain.yml: {topics: true}): a real question near the domain is
                # often in scope after all, and the right topic is usually among these.
                last = replies[-1]
                said = f"{last.text}\n\n{text('off_topic_pick')}"
                near = likely_topics(turn.ranking)
                replies[-1] = replace(last, text=said, buttons=(*near, *last.buttons))
            elif reply.text or reply.buttons:
                replies.append(reply)
        return replies

    async def _worth_offering(self, user_id: int, buttons: tuple[Button, ...]) -> tuple:
        """Buttons whose flow still wants offering (not a reflection just finished)."""
        kept = []
        for button in buttons:
            payload = payloads.parse(button.payload)
            owner = self._owners.get(type(payload)) if payload else None
            if owner is None or await owner.offers(user_id, payload):
                kept.append(button)
        return tuple(kept)


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
    grounding = Button(text("crisis_grounding_button"), ExerciseMenu().pack())
    return Reply(text("crisis_stay"), (grounding,))


def also_mentioned(turn: Turn, replies: list[Reply]) -> list[Reply]:
    """A topic reply to a long message, with the message's second thread offered as a button."""
    if not replies or f"utter_{turn.intent}" not in turn.actions:
        return replies
    buttons = (payloads.parse(b.payload) for reply in replies for b in reply.buttons)
    offered = {p.name for p in buttons if isinstance(p, Intent)}
    second = second_thread(turn.intent, turn.threads, offered)
    if second is None:
        return replies
    button = Button(topics()[second], Intent(second).pack())
    # Under the last reply that offers nothing of its own: an offer's buttons (an exercise) are
    # explained by its own words, and a fourth button there would not be.
    plain = [i for i, reply in enumerate(replies) if reply.text and not reply.buttons]
    if not plain:
        return [*replies, Reply(text("also_mentioned"), (button,))]
    at = plain[-1]
    said = f"{replies[at].text}\n\n{text('also_mentioned')}"
    return [*replies[:at], replace(replies[at], text=said, buttons=(button,)), *replies[at + 1 :]]


def likely_topics(ranking: tuple[tuple[str, float], ...]) -> list[Button]:
    """The three likeliest topics of the model's ranking, as buttons."""
    likely = [name for name, _ in ranking if name in topics()][:3]
    return [Button(topics()[name], Intent(name).pack()) for name in likely]


def unsure(message: str, ranking: tuple[tuple[str, float], ...], listen: bool = False) -> Reply:
    """Not sure what was meant: the likeliest topics from the model's ranking, and a way out;
    the second time in a row, also a way simply to be heard."""
    buttons = likely_topics(ranking)
    if listen:
        return Reply(message, (*buttons, Button(text("just_listen"), Intent("vent").pack())))
    return Reply(
        f"{message} {text('unsure_pick')}".strip(),
        (*buttons, Button(text("something_else"), SomethingElse().pack())),
    )


def safety_check(category: safety.Category) -> Reply:
    return Reply(
        text(f"safety_check_{category}"),
        (
            Button(text("safety_check_yes"), SafetyAnswer(category).pack()),
            Button(text("safety_check_no"), SafetyAnswer("ok").pack()),
        ),
    )


def country_question() -> Reply:
    buttons = [Button(name, Country(code).pack()) for code, name in helplines.countries().items()]
    other = Button(text("country_other"), Country("other").pack())
    return Reply(text("country_question"), (*buttons, other))
