"""The loop that queues what is due: messages the bot starts itself, at a time stored in the
database, so they survive a restart (design.md: "bot/nudges"). `send` puts them in the outbox
(bot/telegram.py `deliver`), whose sender keeps Telegram's limits and retries.

Every flow (bot/flows) is a source: what is due now (`Flow.due`), and once at start what a
restart interrupted (`Flow.resumable`). Each source hands out an item once (the store clears it
as it is claimed), so two loops or a restart never send it twice.

The quiet mark after a crisis is decided here, in one place, for every source: nothing
unasked-for reaches that person. Sources are told who is quiet and leave their items unclaimed,
so a due message goes out once the mark has passed; an offer after a restart is one-off and is
left out. Anything a source hands out for a quiet person anyway is held back here too.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Awaitable, Callable

from bot.flows import Due, Flow, Options
from bot.logs import user_tag
from bot.replies import Reply
from bot.store import Store

logger = logging.getLogger(__name__)

Send = Callable[[int, list[Reply]], Awaitable[None]]
POLL_SECONDS = 5.0
SWEEP_SECONDS = 24 * 3600


class DueLoop:
    """`user_id` limits the loop to one person (the console chat shares the database)."""

    def __init__(
        self,
        flows: list[Flow],
        store: Store,
        send: Send,
        interval: float = POLL_SECONDS,
        clock: Callable[[], float] = time.time,
        user_id: int | None = None,
        sweep: Options | None = None,
    ) -> None:
        self.flows = flows
        self.store = store
        self.send = send
        self.interval = interval
        self.clock = clock
        self.user_id = user_id
        self._stopping = asyncio.Event()
        # Retention (Options.keep_*_days): a sweep at start, then one a day.
        self._sweep = sweep
        self._next_sweep = 0.0

    async def run(self) -> None:
        while not self._stopping.is_set():
            await self.tick()
            try:
                await asyncio.wait_for(self._stopping.wait(), self.interval)
            except asyncio.TimeoutError:
                pass

    def stop(self) -> None:
        """Ends `run` after the message being queued: none is left claimed but unqueued."""
        self._stopping.set()

    async def tick(self) -> int:
        """Sends everything due now; returns how many people got a message."""
        now = self.clock()
        if self._sweep is not None and now >= self._next_sweep:
            self._next_sweep = now + SWEEP_SECONDS
            # Cut-offs in real time: the store stamps rows with time.time(), not this clock.
            await self._retain(time.time())
        try:
            quiet = await self.store.quiet_users(now)
        except Exception as error:  # noqa: BLE001 - without the marks, send nothing this round
            _log_error(error, "reading the quiet marks")
            return 0
        return await self._deliver(
            [lambda f=flow: f.due(now, self.user_id, quiet) for flow in self.flows], quiet
        )

    async def _retain(self, now: float) -> None:
        days = 24 * 3600
        try:
            events, people = await self.store.sweep(
                now - self._sweep.keep_events_days * days,
                now - self._sweep.keep_inactive_days * days,
            )
        except Exception as error:  # noqa: BLE001 - tried again tomorrow; nudges go on
            _log_error(error, "sweeping old data")
            return
        if events or people:
            logger.info(
                "retention sweep: %d old events, %d inactive people removed", events, people
            )

    async def resume(self) -> int:
        """Once at start: what a stop interrupted, offered again."""
        quiet = await self.store.quiet_users(self.clock())
        return await self._deliver(
            [lambda f=flow: f.resumable(self.user_id) for flow in self.flows], quiet
        )

    async def _deliver(
        self, sources: list[Callable[[], Awaitable[Due]]], quiet: frozenset[int]
    ) -> int:
        sent = 0
        for source in sources:
            try:
                due = await source()
            except Exception as error:  # noqa: BLE001 - one bad read must not end the loop
                _log_error(error, "reading what is due")
                continue
            for user_id, replies, *claim in due:
                if self._stopping.is_set() and claim:
                    break  # unclaimed items stay due for the next start (claimed ones go out)
                if user_id in quiet:
                    logger.info("left out a message for user %s: quiet mark", user_tag(user_id))
                    continue
                try:
                    if claim and not await claim[0]():
                        continue  # another loop, or an earlier pass, has handed it out
                    await self.send(user_id, replies)
                    sent += 1
                except Exception as error:  # noqa: BLE001 - e.g. the person blocked the bot
                    _log_error(error, f"sending to user {user_tag(user_id)}")
        return sent


def _log_error(error: Exception, doing: str) -> None:
    stack = "".join(traceback.format_tb(error.__traceback__))
    logger.error("%s while %s\n%s", type(error).__name__, doing, stack)
