"""Plays a timed exercise (flows.exercises.Pace): one message, updated as the counts change.

Telegram allows a chat about one message a second, and edits count too. One limiter per bot
keeps every chat at or under one update a second, across all the pacers that chat might have
(an old one still winding down, a new one starting), and a count that cannot be shown in time
is skipped rather than letting the pacing fall behind the clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.dialogue import Button
from bot.flows.exercises import Pace

MIN_UPDATE_INTERVAL = 1.0


class Surface(Protocol):
    async def show(self, text: str, buttons: tuple[Button, ...]) -> None:
        """The first call puts the message in the chat; later calls update it in place."""

    async def close(self, text: str) -> None:
        """The final state of the message, without buttons."""


class ChatLimiter:
    def __init__(self, interval: float = MIN_UPDATE_INTERVAL) -> None:
        self.interval = interval
        self._last: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def next_allowed(self, chat_id: int) -> float:
        return self._last.get(chat_id, float("-inf")) + self.interval

    async def run(self, chat_id: int, update: Callable[[], Awaitable[None]]) -> None:
        """Runs `update` no sooner than `interval` after this chat's previous update."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            # A loop, not one sleep: asyncio may wake a timer a little early (seen: 50 µs).
            while (delay := self.next_allowed(chat_id) - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            try:
                await update()
            finally:
                self._last[chat_id] = time.monotonic()


async def play(
    pace: Pace,
    surface: Surface,
    chat_id: int,
    limiter: ChatLimiter,
    still_running: Callable[[], Awaitable[bool]],
) -> bool:
    """True when the pacing ran to its end; False when the run was stopped meanwhile."""
    start = time.monotonic()
    elapsed = 0.0
    shown = False
    last_frame = ""
    for index, (frame, seconds) in enumerate(pace.frames):
        due, elapsed = start + elapsed, elapsed + seconds
        ends = start + elapsed
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        final = index == len(pace.frames) - 1
        if shown and not final and limiter.next_allowed(chat_id) >= ends:
            continue
        if not await still_running():
            return await _stopped(pace, surface, chat_id, limiter, shown)
        await limiter.run(chat_id, lambda f=frame: surface.show(f, (pace.stop,)))
        shown, last_frame = True, frame
    if (delay := start + elapsed - time.monotonic()) > 0:
        await asyncio.sleep(delay)
    if not await still_running():
        return await _stopped(pace, surface, chat_id, limiter, shown)
    await limiter.run(chat_id, lambda: surface.close(last_frame))
    return True


async def _stopped(
    pace: Pace, surface: Surface, chat_id: int, limiter: ChatLimiter, shown: bool
) -> bool:
    if shown:
        await limiter.run(chat_id, lambda: surface.close(pace.paused))
    return False
