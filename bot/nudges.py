"""The loop that queues what is due: messages the bot starts itself, at a time stored in the
database, so they survive a restart (design.md: "bot/nudges"). `send` puts them in the outbox
(bot/telegram.py `deliver`), whose sender keeps Telegram's limits and retries.

Today the one source is the urge delay's ten-minute follow-up (flows/exercises.py). Each source
hands out a due item once (the store clears it as it is claimed), so two loops or a restart
never send it twice.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable

from bot.dialogue import Reply
from bot.logs import user_tag

logger = logging.getLogger(__name__)

Source = Callable[[], Awaitable[list[tuple[int, list[Reply]]]]]
Send = Callable[[int, list[Reply]], Awaitable[None]]
POLL_SECONDS = 5.0


class DueLoop:
    def __init__(self, sources: list[Source], send: Send, interval: float = POLL_SECONDS) -> None:
        self.sources = sources
        self.send = send
        self.interval = interval

    async def run(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self.interval)

    async def tick(self) -> int:
        """Sends everything due now; returns how many messages went out."""
        sent = 0
        for source in self.sources:
            try:
                due = await source()
            except Exception as error:  # noqa: BLE001 - one bad read must not end the loop
                _log_error(error, "reading what is due")
                continue
            for user_id, replies in due:
                try:
                    await self.send(user_id, replies)
                    sent += 1
                except Exception as error:  # noqa: BLE001 - e.g. the person blocked the bot
                    _log_error(error, f"sending to user {user_tag(user_id)}")
        return sent


def _log_error(error: Exception, doing: str) -> None:
    stack = "".join(traceback.format_tb(error.__traceback__))
    logger.error("%s while %s\n%s", type(error).__name__, doing, stack)
