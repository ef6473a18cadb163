"""The sender: delivers the outbox's rows within Telegram's limits, and never drops one.

Every message the bot sends is a row first (store.finish_turn, store.queue_sends), so a crash or
a stop loses nothing: the next start sends what is left. A chat's rows go out in order, its
first unsent row (safety replies first) ahead of the rest, so a reply in several parts arrives
whole or resumes where it stopped.

A send that fails is tried again, never replaced by an apology: a 429 after the `retry_after`
Telegram asks for, however long; a 5xx, a timeout or a lost connection with a growing pause. A
400 or 403 cannot succeed later and is given up, with the reason kept on the row.

One send is in flight at a time, so a crash can repeat at most the one whose answer it did not
see (Telegram has no way to make a send idempotent). A send that takes longer than
`STALL_SECONDS` lets the next one start beside it, so one slow request does not hold every chat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter

from bot.logs import Every, user_tag
from bot.pacing import ChatLimiter

logger = logging.getLogger(__name__)

STALL_SECONDS = 1.0
MAX_IN_FLIGHT = 8
BACKOFF_SECONDS = (0.5, 1, 2, 4, 8, 15, 30, 60)
# A reply still unsent after a day answers a moment that has passed; it is given up.
GIVE_UP_SECONDS = 24 * 3600
# Safety replies (bot.conversation.FIRST) go ahead of a chat's other unsent messages.
FIRST_PRIORITY = 1

# Sends one row to Telegram; returns the id of the message it created (None for an edit, or
# for a row that only starts something, like a pacer).
Transmit = Callable[[dict], Awaitable[int | None]]


class Sender:
    def __init__(
        self,
        store,
        transmit: Transmit,
        limiter: ChatLimiter,
        stall: float = STALL_SECONDS,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.store = store
        self.transmit = transmit
        self.limiter = limiter
        self.stall = stall
        self.max_in_flight = max_in_flight
        self._wake = asyncio.Event()
        self._in_flight: dict[asyncio.Task, float] = {}
        self._busy: set[int] = set()  # chats with a send in flight
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._first_queued = False  # rows that go first were queued since the last read
        # Rows whose send started, by the number of the read current when it ended (None while
        # in flight): a read that began before a send ended may still show its row unsent.
        self._reads = 0
        self._recent: dict[int, int | None] = {}
        self._log = Every(60.0)

    def wake(self, first: bool = False) -> None:
        """Something was queued: look again now rather than at the next timer. Rows that go
        `first` (safety replies) end the current pass early; others sort after everything
        already read (by id), so they wait for the next one."""
        self._first_queued = self._first_queued or first
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self, timeout: float = 1.0) -> None:
        """Stops taking rows; waits up to `timeout` for the sends in flight (an unfinished one
        stays unsent in the outbox and goes again at the next start)."""
        # A flag as well as the cancel: Python 3.10's wait_for can swallow a cancel that
        # arrives as the wake-up does, and the loop would go on.
        self._stopping = True
        self.wake()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._in_flight:
            await asyncio.wait(list(self._in_flight), timeout=timeout)
            for task in list(self._in_flight):
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                pause = await self._pass()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the sender must outlive any one failure
                self._note(f"{type(error).__name__} in the sender")
                pause = 1.0
            if pause > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), pause)
                except asyncio.TimeoutError:
                    pass

    async def _pass(self) -> float:
        """Starts every send that may go now; returns how long until one might."""
        self._reads += 1
        read, self._first_queued = self._reads, False
        rows = await self.store.next_sends()
        for row_id, ended in list(self._recent.items()):
            if ended is not None and ended < read:  # this read saw how its send ended
                del self._recent[row_id]
        pause = 5.0  # a rescan now and then, whatever happens
        started = False
        for row in rows:
            chat = row["chat_id"]
            if chat in self._busy or row["id"] in self._recent:
                continue
            if self._first_queued:
                return 0.0  # a safety reply belongs ahead of what was read: read again
            if (wait := row["not_before"] - time.time()) > 0:
                pause = min(pause, wait)
                continue
            await self._gate()
            if (wait := self.limiter.next_allowed(chat) - time.monotonic()) > 0:
                pause = min(pause, wait)
                continue
            if chat in self._busy or self._first_queued:
                continue  # (busy: its earlier row is still being sent)
            self.limiter.note(chat)
            self._busy.add(chat)
            self._recent[row["id"]] = None
            task = asyncio.create_task(self._send(row))
            self._in_flight[task] = time.monotonic()
            task.add_done_callback(self._finished)
            started = True
        # Rows whose chat was busy are looked at again when that send ends (it wakes us).
        return 0.0 if started else pause

    async def _gate(self) -> None:
        """Waits until a send may start: none in flight, or all of them stalled."""
        while self._in_flight:
            now = time.monotonic()
            newest = max(self._in_flight.values())
            if len(self._in_flight) >= self.max_in_flight:
                wait = None  # all stalled: only a send ending frees a place
            elif newest <= now - self.stall:
                return
            else:
                wait = newest + self.stall - now
            await asyncio.wait(list(self._in_flight), timeout=wait, return_when="FIRST_COMPLETED")

    def _finished(self, task: asyncio.Task) -> None:
        self._in_flight.pop(task, None)
        self.wake()

    async def _send(self, row: dict) -> None:
        chat = row["chat_id"]
        try:
            await self._attempt(row)
        finally:
            self._busy.discard(chat)
            self._recent[row["id"]] = self._reads

    async def _attempt(self, row: dict) -> None:
        chat, row_id = row["chat_id"], row["id"]
        try:
            message_id = await self.transmit(row)
        except RetryAfter as error:
            wait = _seconds(error.retry_after)
            self._note(f"429: waiting {wait:.0f} s before sending to user {user_tag(chat)}")
            await self.store.retry_send(row_id, time.time() + wait)
            return
        except (BadRequest, Forbidden, ChatMigrated, InvalidToken) as error:
            # Cannot succeed later. (A 403 means the person blocked the bot.)
            logger.warning("gave up a send to user %s: %s", user_tag(chat), type(error).__name__)
            await self.store.give_up_send(row_id, type(error).__name__)
            if isinstance(error, Forbidden):
                # Blocked: their nudges stop until they write again (Store.touch_user).
                await self.store.set_blocked(chat, True)
            return
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - 5xx, timeouts, lost connections, our bugs
            if time.time() - row["created_at"] > GIVE_UP_SECONDS:
                logger.warning("gave up a day-old send to user %s", user_tag(chat))
                await self.store.give_up_send(row_id, "expired")
                return
            wait = BACKOFF_SECONDS[min(row["attempts"], len(BACKOFF_SECONDS) - 1)]
            self._note(f"{type(error).__name__}: trying again in {wait} s")
            await self.store.retry_send(row_id, time.time() + wait)
            return
        await self.store.sent(row_id, chat, message_id)

    def _note(self, message: str) -> None:
        if self._log.now():  # a flood of failures is one line a minute, not one per row
            logger.warning("%s (%d similar in the last minute)", message, self._log.skipped)


def _seconds(retry_after) -> float:
    return retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else retry_after
