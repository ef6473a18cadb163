"""One person talking to the real bot through the fake Bot API, for the end-to-end tests."""

from __future__ import annotations

import itertools
import re


def payloads(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


def payload(message: dict, action: str) -> str:
    """The button for `action`: its whole payload, an exercise's step ("next", "rate:4",
    "pick:human" for "ex:<id>:next"...), or the title the person sees ("That's all")."""
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    buttons = [b for row in markup["inline_keyboard"] for b in row]
    for button in buttons:
        data = button["callback_data"]
        if data == action or re.fullmatch(rf"ex:\d+:{re.escape(action)}", data):
            return data
    for button in buttons:
        if button["text"] == action:
            return button["callback_data"]
    raise AssertionError(f"no {action!r} button on {message.get('text', '')[:60]!r}")


class Chat:
    """One person talking to the bot; `replies(n)` returns the next n messages it sent them."""

    ids = itertools.count(10_000)

    def __init__(self, fake_tg, user: int) -> None:
        self.tg, self.user, self.seen = fake_tg, user, 0

    async def replies(self, n: int = 1) -> list[dict]:
        sent = await self.tg.wait_for(chat_id=self.user, count=self.seen + n)
        new, self.seen = sent[self.seen : self.seen + n], self.seen + n
        return new

    async def say(self, text: str, n: int = 1) -> list[dict]:
        await self.tg.send_text(self.user, text)
        return await self.replies(n)

    async def tap(self, message: dict, action: str, n: int = 1) -> list[dict]:
        sent = {
            **message,
            "message_id": next(self.ids),
            "chat": {"id": self.user, "type": "private"},
            "date": 0,
        }
        await self.tg.tap(self.user, sent, payload(message, action))
        return await self.replies(n)

    async def all_replies(self) -> list[dict]:
        """Everything sent since the last read, once the bot has gone quiet: for turns whose
        number of messages is the model's choice (a reply, and maybe an offer)."""
        await self.tg.settle()
        sent = self.tg.sent(self.user)
        new, self.seen = sent[self.seen :], len(sent)
        return new
