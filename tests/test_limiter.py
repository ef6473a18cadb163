"""Telegram's limits as sliding windows, on a clock the test moves."""

from __future__ import annotations

import pytest

from bench.faults import most_in_window
from bot.pacing import ChatLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send_all(limiter: ChatLimiter, clock: Clock, chats: list[int]) -> list[float]:
    """Sends to each chat in turn as soon as the limiter allows; returns the send times."""
    times = []
    for chat in chats:
        clock.now = max(clock.now, limiter.next_allowed(chat))
        limiter.note(chat)
        times.append(clock.now)
    return times


def test_one_chat_gets_short_bursts_and_about_one_a_second():
    clock = Clock()
    limiter = ChatLimiter(clock=clock)
    times = send_all(limiter, clock, [7] * 60)
    assert times[2] - times[0] < 0.1  # a reply in three parts goes out at once
    assert most_in_window(times, 1.0) <= 3
    assert most_in_window(times, 20.0) <= 20
    assert times[-1] - times[0] >= 55  # 60 messages take about a minute, not a burst


def test_overall_never_more_than_thirty_a_second():
    clock = Clock()
    limiter = ChatLimiter(clock=clock)
    times = send_all(limiter, clock, list(range(300)))
    assert most_in_window(times, 1.0) <= 30
    assert len(times) / (times[-1] - times[0]) == pytest.approx(29, abs=1.5)


def test_a_busy_chat_does_not_slow_another():
    clock = Clock()
    limiter = ChatLimiter(clock=clock)
    send_all(limiter, clock, [1] * 5)
    assert limiter.next_allowed(2) <= clock.now


def test_limits_off_for_the_capacity_benchmark():
    clock = Clock()
    limiter = ChatLimiter((), (), clock=clock)
    times = send_all(limiter, clock, [1] * 100)
    assert times[-1] == times[0]
