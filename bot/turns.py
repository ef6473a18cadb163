"""Fair turns over the durable inbox: chats run side by side, one chat's updates in order.

A chat with work has one task, and it holds a running slot only while a turn is actually being
handled, so a chat with a backlog of hundreds waits for nothing and makes no one else wait
(python-telegram-bot's concurrent mode held one of its 64 slots per queued update, all of them
waiting on one chat's lock). Order within a chat is a property of the data: the chat's
unfinished rows, oldest first.

People split one thought over several messages ("he hasnt texted" / "its been 4 hours" / "i feel
sick"). Texts that are waiting together when the chat's turn comes are handed over together
(`handle` decides how many it takes as one turn), and a chat's next turn waits a moment (a
second, longer while its last answer is still going out, at most two), so a burst of thirty
messages gets a handful of answers, not thirty.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from bot.logs import Every
from bot.store import Store

logger = logging.getLogger(__name__)

# Turns being handled at once. A turn mostly waits (the encoder's thread, the store, a model
# still loading: up to 20 s each at start), so the cap is generous: it bounds memory, and a
# chat waiting for a place holds nothing.
MAX_RUNNING = 1024
# Rows read for one turn: what `handle` may take together (each is still screened on its own).
MAX_TURN_ROWS = 10
# A chat's next turn starts no sooner than this after its previous one, and then as soon as the
# previous answer has gone out, but never later than HOLD_SECONDS after it: what arrives
# meanwhile joins the turn. A person who reads the answer before writing again never waits.
TURN_GAP_SECONDS = 1.0
HOLD_SECONDS = 2.0
HOLD_STEP = 0.1

# Handles the first rows of a chat's waiting (update_id, kind, raw JSON) rows as one turn,
# records it done, and returns how many rows it took (at least one).
Handle = Callable[[int, list[tuple[int, str, str]]], Awaitable[int]]


class Turns:
    def __init__(
        self,
        store: Store,
        handle: Handle,
        max_running: int = MAX_RUNNING,
        hold: float = HOLD_SECONDS,
        gap: float = TURN_GAP_SECONDS,
    ) -> None:
        self.store = store
        self.handle = handle
        self.hold = hold
        self.gap = gap
        self._slots = asyncio.Semaphore(max_running)
        self._tasks: dict[int, asyncio.Task] = {}
        self._again: set[int] = set()
        self._in_turn: set[asyncio.Task] = set()
        self._stopping = False
        self._log = Every(60.0)

    async def resume(self) -> int:
        """At start: the chats a stop or a crash left with unfinished updates go first."""
        chats = await self.store.waiting_chats()
        self.wake(chats)
        return len(chats)

    def wake(self, chats: list[int]) -> None:
        for chat in chats:
            if self._stopping:
                return
            self._again.add(chat)
            if chat not in self._tasks:
                self._tasks[chat] = asyncio.create_task(self._chat(chat))

    async def stop(self, timeout: float) -> None:
        """Takes no new turn; a turn being handled gets up to `timeout` to finish. Whatever is
        left stays in the inbox for the next start."""
        self._stopping = True
        for task in self._tasks.values():
            if task not in self._in_turn:
                task.cancel()
        busy = list(self._in_turn)
        if busy:
            await asyncio.wait(busy, timeout=timeout)
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _chat(self, chat: int) -> None:
        last_turn: float | None = None
        try:
            while chat in self._again and not self._stopping:
                self._again.discard(chat)
                while not self._stopping:
                    try:
                        if last_turn is not None:
                            await self._wait_for_answer(chat, last_turn)
                        rows = await self.store.waiting_updates(chat, MAX_TURN_ROWS)
                    except asyncio.CancelledError:
                        raise
                    except Exception as error:  # noqa: BLE001 - the store failed: try again
                        if self._log.now():
                            logger.error("%s reading a chat's updates", type(error).__name__)
                        await asyncio.sleep(1.0)
                        continue
                    if not rows or self._stopping:
                        break
                    async with self._slots:
                        if self._stopping:
                            return
                        await self._turn(chat, rows)
                    last_turn = time.monotonic()
        finally:
            self._tasks.pop(chat, None)

    async def _turn(self, chat: int, rows: list[tuple[int, str, str]]) -> None:
        task = asyncio.current_task()
        self._in_turn.add(task)
        try:
            await self.handle(chat, rows)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - `handle` records its own failures
            # Reached only if recording failed too (the disk, say): the rows stay unfinished
            # and are tried again after a pause rather than in a tight loop.
            if self._log.now():
                logger.error("%s while recording a turn", type(error).__name__)
            await asyncio.sleep(1.0)
        finally:
            self._in_turn.discard(task)

    async def _wait_for_answer(self, chat: int, last_turn: float) -> None:
        if (wait := last_turn + self.gap - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        while time.monotonic() < last_turn + self.hold and await self.store.has_unsent(chat):
            await asyncio.sleep(HOLD_STEP)
