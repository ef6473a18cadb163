"""Plays a timed exercise (flows.exercises.Pace): one message, updated as the counts change.

Telegram allows a chat about one message a second, and edits count too. One limiter per bot
(`ChatLimiter`) keeps every chat inside Telegram's limits across the outbox and all the pacers
that chat might have (an old one still winding down, a new one starting), and a count that
cannot be shown in time is skipped rather than letting the pacing fall behind the clock.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.replies import Button, Pace

# Telegram's limits, with a margin: it counts arrivals, we count departures, and the network
# can bunch them up. Per private chat: short bursts of 3 a second, about one a second over 20 s
# (edits count); overall: 29 in any second. (A shorter overall window to smooth bursts cost 40 ms
# of p50 and 140 ms of p99 at 20 messages a second in `make bench`: it bound whenever Poisson
# arrivals bunched.)
CHAT_WINDOWS = ((3, 1.1), (19, 20.0))
OVERALL_WINDOWS = ((29, 1.0),)


class Surface(Protocol):
    async def show(self, text: str, buttons: tuple[Button, ...]) -> None:
        """The first call puts the message in the chat; later calls update it in place."""

    async def close(self, text: str) -> None:
        """The final state of the message, without buttons."""


class ChatLimiter:
    """Sliding windows of what was sent, per chat and overall. Shared by the outbox sender and
    the pacers, so a paced exercise and the replies around it stay inside one budget."""

    def __init__(
        self,
        chat_windows: tuple[tuple[int, float], ...] = CHAT_WINDOWS,
        overall: tuple[tuple[int, float], ...] = OVERALL_WINDOWS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chat_windows = chat_windows
        self.overall = overall
        self._clock = clock
        self._longest = max((span for _, span in chat_windows), default=0.0)
        self._overall_span = max((span for _, span in overall), default=0.0)
        self._chats: dict[int, deque[float]] = {}
        self._all: deque[float] = deque()
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    def next_allowed(self, chat_id: int) -> float:
        """The earliest monotonic time a message to this chat keeps every window."""
        times = self._chats.get(chat_id, ())
        allowed = float("-inf")
        for count, span in self.overall:
            allowed = max(allowed, _window_free(self._all, count, span))
        for count, span in self.chat_windows:
            allowed = max(allowed, _window_free(times, count, span))
        return allowed

    def note(self, chat_id: int) -> None:
        """Counts one message to the chat, now."""
        now = self._clock()
        times = self._chats.setdefault(chat_id, deque())
        times.append(now)
        while times and times[0] <= now - self._longest:
            times.popleft()
        if self.overall:
            self._all.append(now)
            while self._all and self._all[0] <= now - self._overall_span:
                self._all.popleft()
        if len(self._chats) > 1000:  # forget chats that have been quiet for a whole window
            for idle in [
                c for c, t in self._chats.items() if not t or t[-1] <= now - self._longest
            ]:
                del self._chats[idle]

    async def run(self, chat_id: int, update: Callable[[], Awaitable[None]]) -> None:
        """Runs `update` as soon as the windows allow it."""
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                # A loop, not one sleep: asyncio may wake a timer a little early (seen: 50 µs).
                while (delay := self.next_allowed(chat_id) - self._clock()) > 0:
                    await asyncio.sleep(delay)
                self.note(chat_id)
                await update()
        finally:
            lock, users = self._locks[chat_id]
            if users == 1:  # the last one out forgets the chat, so the map stays small
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)


def _window_free(times: deque[float] | tuple, count: int, span: float) -> float:
    """When a new entry fits: at most `count` entries in any `span` seconds."""
    if len(times) < count:
        return float("-inf")
    return times[-count] + span


# A paced message changes at most once a second, even where a burst would be allowed: counts
# that jump three at a time read as a glitch, not as breathing.
PACE_GAP = 1.0


async def play(
    pace: Pace,
    surface: Surface,
    chat_id: int,
    limiter: ChatLimiter,
    still_running: Callable[[], Awaitable[bool]],
    gap: float = PACE_GAP,
) -> bool:
    """True when the pacing ran to its end; False when the run was stopped meanwhile."""
    start = time.monotonic()
    elapsed = 0.0
    last_frame = ""
    last_update = float("-inf")  # never shown yet

    async def update(change: Callable[[], Awaitable[None]]) -> None:
        nonlocal last_update
        if (delay := last_update + gap - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        await limiter.run(chat_id, change)
        last_update = time.monotonic()

    for index, (frame, seconds) in enumerate(pace.frames):
        due, elapsed = start + elapsed, elapsed + seconds
        ends = start + elapsed
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        final = index == len(pace.frames) - 1
        earliest = max(limiter.next_allowed(chat_id), last_update + gap)
        if last_frame and not final and earliest >= ends:
            continue
        if not await still_running():
            return await _stopped(pace, surface, update, bool(last_frame))
        await update(lambda f=frame: surface.show(f, (pace.stop,)))
        last_frame = frame
    if (delay := start + elapsed - time.monotonic()) > 0:
        await asyncio.sleep(delay)
    if not await still_running():
        return await _stopped(pace, surface, update, bool(last_frame))
    await update(lambda: surface.close(last_frame))
    return True


async def _stopped(pace: Pace, surface: Surface, update, shown: bool) -> bool:
    if shown:
        await update(lambda: surface.close(pace.paused))
    return False
