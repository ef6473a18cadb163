"""Simulated users against a fake Bot API: offered load, reply latency, percentiles.

Each simulated user has their own private chat. A message goes only to a user whose previous
message was answered (and who has been quiet for `cooldown` seconds since), so it never waits
behind the same chat's earlier update: the bot runs one chat's updates in order, and a queue
there would measure our test, not the bot.

Latency runs from the moment an update left in a `getUpdates` response (the bot has it) to the
first `sendMessage` for that chat arriving at the fake server. A message may get one to three
replies; the first is what the person sees as "it answered".
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from bench.fake_telegram import Call, FakeTelegram
from bot.model.evaluation import HELD_OUT, nlu_examples

FIRST_USER = 8_100_000


def held_out_messages(path: Path = HELD_OUT) -> list[str]:
    """Every held-out message, as people wrote them (typos, emoji and all)."""
    return [text for _, text in nlu_examples(path)]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); no interpolation, so p99 is a real sample."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]


@dataclass
class Sample:
    user: int
    update_id: int
    pushed: float
    replied: float | None = None
    handed: float | None = None

    @property
    def latency(self) -> float | None:
        if self.replied is None or self.handed is None:
            return None
        return self.replied - self.handed


@dataclass
class Window:
    """One measurement: what was offered, what came back, and how fast."""

    name: str
    offered_rate: float | None  # messages a second; None for flat out
    seconds: float  # how long messages were sent
    started: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    skipped: int = 0  # offers not made because every user was still waiting for an answer
    sends: int = 0  # every sendMessage to these users while the window was open

    def summary(self) -> dict:
        ms = [s.latency * 1000 for s in self.samples if s.latency is not None]
        answered = [s for s in self.samples if s.replied is not None]
        # Throughput: first replies that arrived while the window was open, so a queue that
        # drains afterwards does not count as capacity.
        in_window = [s for s in answered if s.replied <= self.started + self.seconds]
        return {
            "name": self.name,
            "offered_rate": self.offered_rate,
            "seconds": round(self.seconds, 2),
            "sent": len(self.samples),
            "answered": len(answered),
            "unanswered": len(self.samples) - len(answered),
            "skipped_offers": self.skipped,
            "throughput": round(len(in_window) / self.seconds, 2) if self.seconds else 0.0,
            "sends_per_second": round(self.sends / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": _round(percentile(ms, 50)),
            "p95_ms": _round(percentile(ms, 95)),
            "p99_ms": _round(percentile(ms, 99)),
            "max_ms": _round(max(ms) if ms else float("nan")),
            "mean_ms": _round(sum(ms) / len(ms) if ms else float("nan")),
        }


def _round(value: float) -> float | None:
    return None if value != value else round(value, 1)  # NaN has no place in JSON


class LoadGenerator:
    """Drives one fake server; one generator per system under test."""

    def __init__(
        self,
        server: FakeTelegram,
        messages: list[str],
        users: int = 300,
        first_user: int = FIRST_USER,
        seed: int = 20261127,
        cooldown: float = 2.0,
        answer_timeout: float = 15.0,
    ) -> None:
        self.server = server
        self.messages = messages
        self.rng = random.Random(seed)
        self.cooldown = cooldown
        self.answer_timeout = answer_timeout
        self._users = range(first_user, first_user + users)
        self._idle: deque[int] = deque(self._users)
        self._send_times: list[float] = []
        self._resting: dict[int, float] = {}  # user -> free again at
        self._waiting: dict[int, tuple[Sample, asyncio.Future]] = {}
        server.listeners.append(self._on_call)

    # --- matching replies ------------------------------------------------------------------

    def _on_call(self, call: Call) -> None:
        chat = call.params.get("chat_id")
        if chat is None:
            return
        chat = int(chat)
        if chat in self._resting:
            # A second reply or an edit: the chat is still busy, so its next message waits.
            self._resting[chat] = max(self._resting[chat], call.at + self.cooldown)
        if call.method != "sendMessage":
            return
        if chat in self._users:
            self._send_times.append(call.at)
        entry = self._waiting.pop(chat, None)
        if entry is None:
            return
        sample, future = entry
        sample.replied = call.at
        sample.handed = self.server.handed_out.get(sample.update_id)
        self._resting[chat] = call.at + self.cooldown
        if not future.done():
            future.set_result(sample)

    def _next_user(self) -> int | None:
        if not self._idle:
            now = time.monotonic()
            ready = [user for user, free_at in self._resting.items() if free_at <= now]
            for user in ready:
                del self._resting[user]
            self._idle.extend(ready)
        return self._idle.popleft() if self._idle else None

    async def _send(self, user: int) -> tuple[Sample, asyncio.Future]:
        text = self.rng.choice(self.messages)
        future = asyncio.get_running_loop().create_future()
        update = self.server.message_update(user, {"text": text})
        sample = Sample(user, update["update_id"], time.monotonic())
        self._waiting[user] = (sample, future)
        await self.server.push(update)
        return sample, future

    def _give_up(self, sample: Sample) -> None:
        """No answer in time: counted unanswered, and the user is not used again, so a late
        reply can never be taken for the answer to their next message."""
        if self._waiting.get(sample.user, (None,))[0] is sample:
            del self._waiting[sample.user]

    async def _settle(self, pending: list[tuple[Sample, asyncio.Future]]) -> None:
        futures = [f for _, f in pending if not f.done()]
        if futures:
            await asyncio.wait(futures, timeout=self.answer_timeout)
        for sample, future in pending:
            if not future.done():
                future.cancel()
                self._give_up(sample)

    def _count_sends(self, window: Window) -> None:
        end = window.started + window.seconds
        window.sends = sum(1 for t in self._send_times if window.started <= t <= end)
        self._send_times = [t for t in self._send_times if t > end]

    async def _one(self, timeout: float) -> Sample | None:
        """Sends one message to an idle user and waits for its first reply."""
        user = self._next_user()
        if user is None:
            await asyncio.sleep(0.005)
            return None
        sample, future = await self._send(user)
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            self._give_up(sample)
        return sample

    # --- the loads -------------------------------------------------------------------------

    async def open_loop(self, rate: float, seconds: float, name: str | None = None) -> Window:
        """Poisson arrivals at `rate` a second for `seconds`, then waits for the answers."""
        window = Window(name or f"{rate:g}/s", rate, seconds, started=time.monotonic())
        pending = []
        due = window.started
        while True:
            due += self.rng.expovariate(rate)
            if due - window.started >= seconds:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            user = self._next_user()
            if user is None:
                window.skipped += 1
                continue
            pending.append(await self._send(user))
        await self._settle(pending)
        window.samples = [s for s, _ in pending]
        self._count_sends(window)
        return window

    async def closed_loop(self, concurrency: int, seconds: float, name: str = "flat out") -> Window:
        """Flat out: `concurrency` users always have a message in, each slot sending the next
        as soon as the last was answered. Throughput is what this system can do."""
        window = Window(name, None, seconds, started=time.monotonic())
        stop_at = window.started + seconds

        async def worker() -> None:
            while time.monotonic() < stop_at:
                sample = await self._one(self.answer_timeout)
                if sample is not None:
                    window.samples.append(sample)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        self._count_sends(window)
        return window

    async def warm_up(self, count: int, concurrency: int = 8) -> Window:
        """A few answered messages first, so no measured message pays for a cold start."""
        window = Window("warm-up", None, 0.0, started=time.monotonic())

        async def worker() -> None:
            while len(window.samples) < count:
                sample = await self._one(self.answer_timeout * 4)
                if sample is not None:
                    window.samples.append(sample)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        window.seconds = time.monotonic() - window.started
        self._count_sends(window)
        return window

    def close(self) -> None:
        if self._on_call in self.server.listeners:
            self.server.listeners.remove(self._on_call)
