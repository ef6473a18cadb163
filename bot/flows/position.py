"""Which side are you on? Asked once, kindly, only when a reply depends on it.

domain.yml's side-dependent replies (repair, forgiveness, boundaries...) have a variation for each
`position` and one that taps this flow while the position is unknown: the question is asked
with a button per side, the answer (tapped or typed) is remembered, and the reply it was asked
for follows, in that side's variation. An answer we cannot place counts as "rather not say":
the general variation follows and the question is not asked again.
"""

from __future__ import annotations

import re

from bot import answers, position
from bot.flows import ANSWER_SECONDS, Flow
from bot.payloads import Payload, Side
from bot.replies import Button, Reply
from bot.texts import text

ASKING = "asking_position"  # memory key: the topic waiting for the answer
POSITION = "position"  # memory key, and the slot's name in domain.yml
_ORDER = (position.HURT, position.BROKE_TRUST, position.FEARFUL, position.UNCLEAR)
# Typed answers to the question itself, beyond what bot/position.py reads in any message.
_TYPED = {
    position.HURT: r"(?:1|one|first|the first(?: one)?|hurt|i was hurt"
    r"|i'?m the one (?:who was |who got )?hurt|me,? i was hurt|the hurt one|i got cheated on"
    r"|cheated on|(?:he|she|they) did)",
    position.BROKE_TRUST: r"(?:2|two|second|the second(?: one)?|me|(?:me,? )?i did(?: it)?"
    r"|it was me|i'?m the one"
    r"|i broke (?:it|the trust|trust)|i cheated|the one who (?:broke|cheated))",
    position.FEARFUL: r"(?:3|three|third|the third(?: one)?|neither|none|nothing happened"
    r"|no one|nobody|just afraid|just scared|i'?m just (?:afraid|scared|anxious))",
    position.UNCLEAR: r"(?:4|four|rather not(?: say)?|doesn'?t matter|skip|pass|both|idk"
    r"|i don'?t know|not sure|complicated|it'?s complicated|why)",
}
# "i was the one who got cheated on", "im the one who lied": the question's own words.
_THE_ONE = r"(?:(?:i was|i'?m|i am|me,?) )?the one (?:who |that )?"
_TYPED[position.HURT] += rf"|{_THE_ONE}(?:was |got )?(?:hurt|cheated on|lied to|betrayed)"
_TYPED[position.BROKE_TRUST] += (
    rf"|{_THE_ONE}(?:cheated|lied|broke (?:it|the trust|trust)|messed up|did it"
    r"|hurt (?:him|her|them))"
)
_TYPED_RE = {side: re.compile(words) for side, words in _TYPED.items()}


def typed_side(said: str) -> str | None:
    words = re.sub(r"[^\w' ,]", "", said.lower().replace("’", "'")).strip(" ,")
    for side, pattern in _TYPED_RE.items():
        if pattern.fullmatch(words):
            return side
    if answers.yes_no(said, unsure=True) == answers.UNSURE:
        return position.UNCLEAR
    return position.detect(said)


class Position(Flow):
    name = "position"
    payloads = (Side,)

    async def known(self, user_id: int) -> str | None:
        return (await self.store.recall(user_id)).get(POSITION)

    async def _asking(self, user_id: int) -> str | None:
        return await self.remembered(user_id, ASKING, ANSWER_SECONDS)

    async def active(self, user_id: int) -> bool:
        return await self._asking(user_id) is not None

    async def on_payload(self, user_id: int, payload: Payload) -> list[Reply]:
        assert isinstance(payload, Side)
        if payload.choice == "ask":
            return await self._ask(user_id, payload.topic)
        return await self._answered(user_id, payload.choice, payload.topic)

    async def on_text(self, user_id: int, said: str) -> list[Reply] | None:
        topic = await self._asking(user_id)
        if topic is None:
            return None
        side = typed_side(said)
        if side is None and len(said.split()) > answers.SHORT:
            # Not an answer but a new message: asked once is asked; the dialogue takes it.
            await self._set(user_id, position.UNCLEAR)
            return None
        return await self._answered(user_id, side or position.UNCLEAR, topic)

    async def _ask(self, user_id: int, topic: str) -> list[Reply]:
        if await self.known(user_id) is not None:  # answered in the meantime: no question
            return [Reply(then_intent=topic)]
        if await self._asking(user_id) is not None:
            # Asked and passed over (another topic tapped instead): asked once is asked.
            await self._set(user_id, position.UNCLEAR)
            return [Reply(then_intent=topic)]
        await self.store.remember(user_id, ASKING, topic)
        buttons = tuple(
            Button(text(f"position_{side}"), Side(side, topic).pack()) for side in _ORDER
        )
        return [Reply(text("position_question"), buttons)]

    async def _answered(self, user_id: int, side: str, topic: str) -> list[Reply]:
        await self._set(user_id, side)
        return [Reply(then_intent=topic)]

    async def _set(self, user_id: int, side: str) -> None:
        await self.store.remember(user_id, POSITION, side)
        await self.store.forget(user_id, ASKING)

    async def interrupt(self, user_id: int) -> None:
        await self.store.forget(user_id, ASKING)
