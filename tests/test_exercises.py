"""The exercise machinery without Telegram: ratings, keyboards, pacer, due loop, store."""

from __future__ import annotations

import time

import pytest
import yaml

from bot.flows import Flow, Options
from bot.flows.exercises import FILE, Exercises, names, parse_rating
from bot.nudges import DueLoop
from bot.pacing import ChatLimiter, play
from bot.payloads import parse
from bot.replies import Button, Pace, Reply
from bot.store import Store
from bot.telegram import keyboard


@pytest.mark.parametrize(
    ("typed", "value"),
    [("0", 0), ("10", 10), ("7/10", 7), ("about 4", 4), ("3 out of 10", 3), (" 5 ", 5)],
)
def test_typed_ratings(typed, value):
    assert parse_rating(typed) == value


@pytest.mark.parametrize("typed", ["11", "-1", "seven", "i feel like a 7 honestly", "", "4.5"])
def test_not_ratings(typed):
    assert parse_rating(typed) is None


def test_rating_keyboard_has_rows_of_numbers_then_the_rest():
    buttons = tuple(Button(str(n), f"r{n}") for n in range(11)) + (
        Button("Skip", "skip"),
        Button("Stop", "stop"),
    )
    rows = keyboard(buttons, (6, 5, 2)).inline_keyboard
    assert [len(r) for r in rows] == [6, 5, 2]
    assert keyboard(buttons[:3]).inline_keyboard[2][0].text == "2"  # one per row by default


def test_every_exercise_text_is_data_and_grounded():
    data = yaml.safe_load(FILE.read_text(encoding="utf-8"))
    assert data["source"] == "Step 6"
    assert set(names()) == set(data["exercises"])
    assert all(p["source"] for p in data["exercises"]["journal"]["prompts"])
    assert all(p["source"] for p in data["exercises"]["self_talk"]["phrases"].values())


class Recorder:
    def __init__(self) -> None:
        self.shown: list[tuple[float, str]] = []
        self.closed: str | None = None

    async def show(self, text: str, buttons) -> None:
        self.shown.append((time.monotonic(), text))

    async def close(self, text: str) -> None:
        self.closed = text


def pace(frames: int, seconds: float) -> Pace:
    return Pace(
        1, 1, tuple((f"count {i}", seconds) for i in range(frames)), Button("Stop", "x"), "stopped"
    )


async def yes() -> bool:
    return True


async def test_pacer_skips_counts_rather_than_updating_faster_than_the_limit():
    surface = Recorder()
    assert await play(pace(12, 0.1), surface, 1, ChatLimiter(((1, 0.3),), ()), yes, gap=0.0)
    gaps = [b[0] - a[0] for a, b in zip(surface.shown, surface.shown[1:], strict=False)]
    assert min(gaps) >= 0.3
    assert len(surface.shown) < 12  # some counts were skipped
    assert surface.shown[0][1] == "count 0" and surface.shown[-1][1] == "count 11"
    assert surface.closed == "count 11"


async def test_pacer_keeps_a_steady_second_where_a_burst_would_be_allowed():
    surface = Recorder()
    assert await play(pace(4, 0.4), surface, 1, ChatLimiter(), yes, gap=1.0)
    gaps = [b[0] - a[0] for a, b in zip(surface.shown, surface.shown[1:], strict=False)]
    assert gaps and min(gaps) >= 1.0


async def test_pacer_shows_every_count_when_the_limit_allows():
    surface = Recorder()
    assert await play(pace(5, 0.05), surface, 1, ChatLimiter((), ()), yes, gap=0.0)
    assert [t for _, t in surface.shown] == [f"count {i}" for i in range(5)]


async def test_pacer_stops_when_the_run_stops():
    surface = Recorder()
    calls = 0

    async def running() -> bool:
        nonlocal calls
        calls += 1
        return calls < 3

    assert not await play(pace(10, 0.01), surface, 1, ChatLimiter((), ()), running, gap=0.0)
    assert len(surface.shown) == 2 and surface.closed == "stopped"


async def test_limiter_is_per_chat():
    limiter = ChatLimiter(((1, 10.0),), ())
    started = time.monotonic()

    async def nothing() -> None:
        return None

    await limiter.run(1, nothing)
    await limiter.run(2, nothing)  # another chat does not wait for the first
    assert time.monotonic() - started < 1.0


class Due(Flow):
    """A flow with one thing due for each of three people."""

    name = "due"

    async def due(self, now, user_id=None):
        return [(1, [Reply("a")]), (2, [Reply("b")]), (3, [Reply("c")])]


async def test_due_loop_keeps_going_after_a_failed_send(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3")
    sent = []

    async def send(user_id, replies):
        if user_id == 1:
            raise RuntimeError("blocked")
        sent.append(user_id)

    try:
        assert await DueLoop([Due(store)], store, send).tick() == 2
        assert sent == [2, 3]
    finally:
        await store.close()


async def test_due_loop_sends_nothing_unasked_for_inside_the_quiet_mark(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3")
    sent = []

    async def send(user_id, replies):
        sent.append(user_id)

    try:
        await store.set_quiet_until(2, time.time() + 3600)
        assert await DueLoop([Due(store)], store, send).tick() == 2
        assert sent == [1, 3]
        later = DueLoop([Due(store)], store, send, clock=lambda: time.time() + 7200)
        assert await later.tick() == 3  # the mark has passed
    finally:
        await store.close()


async def test_a_due_follow_up_is_handed_out_once(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        now = [1000.0]
        exercises = Exercises(store, Options(clock=lambda: now[0], urge_wait=600))
        await exercises.start(7, "urge_delay")
        run = await store.open_exercise(7)
        await exercises.on_payload(7, parse(f"ex:{run['id']}:pick:phone"))
        [paced] = await exercises.on_payload(7, parse(f"ex:{run['id']}:rate:6"))
        assert "one minute of slow breathing" in paced.text
        assert isinstance(paced.pace, Pace)
        token = paced.pace.token
        [wait] = await exercises.paced_done(run["id"], token)
        assert "ten minutes" in wait.text
        now[0] += 599
        assert await exercises.due(now[0]) == []
        now[0] += 1
        [(user, [followup])] = await exercises.due(now[0])
        assert user == 7 and "phone" in followup.text
        assert await exercises.due(now[0]) == []  # claimed once
        assert await exercises.paced_done(run["id"], token) == []  # a late pacer changes nothing
    finally:
        await store.close()


async def test_ratings_are_readable_per_person(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        exercises = Exercises(store)
        for user, before, after in ((1, 8, 3), (2, 5, 5)):
            await exercises.start(user, "body_reset")
            run = await store.open_exercise(user)
            await exercises.on_payload(user, parse(f"ex:{run['id']}:rate:{before}"))
            await exercises.on_payload(user, parse(f"ex:{run['id']}:done"))
            await exercises.on_payload(user, parse(f"ex:{run['id']}:rate:{after}"))
        [mine] = await exercises.ratings(1)
        assert (mine["name"], mine["before"], mine["after"], mine["outcome"]) == (
            "body_reset",
            8,
            3,
            "done",
        )
        [theirs] = await exercises.ratings(2)
        assert (theirs["before"], theirs["after"]) == (5, 5)
    finally:
        await store.close()


async def test_a_payload_for_someone_elses_run_is_refused(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        exercises = Exercises(store)
        await exercises.start(1, "five_senses")
        run = await store.open_exercise(1)
        [reply] = await exercises.on_payload(2, parse(f"ex:{run['id']}:rate:3"))
        assert "already ended" in reply.text
        assert (await store.open_exercise(1))["before"] is None
    finally:
        await store.close()


async def test_the_menu_shows_what_helped_this_person(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        exercises = Exercises(store)
        assert "helped" not in (await exercises.menu(1)).text
        for before, after in ((8, 4), (6, 4)):
            await exercises.start(1, "body_reset")
            run = await store.open_exercise(1)
            for payload in (f"rate:{before}", "done", f"rate:{after}"):
                await exercises.on_payload(1, parse(f"ex:{run['id']}:{payload}"))
        menu = await exercises.menu(1)
        assert "Sleep and movement" not in menu.text.splitlines()[0]
        assert "• Body reset: 7.0 → 4.0 (2×)" in menu.text
        assert "helped" not in (await exercises.menu(2)).text  # only their own ratings
    finally:
        await store.close()
