"""The exercise machinery without Telegram: ratings, keyboards, pacer, due loop, store."""

from __future__ import annotations

import random
import time

import pytest
import yaml

from bot.flows import Flow, Options
from bot.flows.exercises import FILE, RESUME_WITHIN_SECONDS, Exercises, names, parse_rating
from bot.flows.steps import KINDS, build
from bot.flows.steps_base import Run
from bot.nudges import DueLoop
from bot.pacing import ChatLimiter, play
from bot.payloads import parse
from bot.replies import Button, Pace, Reply
from bot.store import Store
from bot.telegram import keyboard
from tests.conftest import DATA_KEY


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("0", 0),
        ("10", 10),
        ("7/10", 7),
        ("about 4", 4),
        ("3 out of 10", 3),
        (" 5 ", 5),
        ("seven", 7),
        ("Seven.", 7),
        ("a solid eight", 8),
        ("ten out of ten", 10),
        ("zero", 0),
    ],
)
def test_typed_ratings(typed, value):
    assert parse_rating(typed) == value


@pytest.mark.parametrize(
    "typed", ["11", "-1", "eleven", "sevens", "i feel like a 7 honestly", "", "4.5"]
)
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

    async def due(self, now, user_id=None, quiet=frozenset()):
        # It ignores `quiet` on purpose: the loop must hold those back itself.
        return [(1, [Reply("a")]), (2, [Reply("b")]), (3, [Reply("c")])]


async def test_due_loop_keeps_going_after_a_failed_send(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
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
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
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


async def test_a_follow_up_due_inside_the_quiet_mark_waits_until_it_ends(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    now = [1000.0]
    sent = []

    async def send(user_id, replies):
        sent.append((user_id, replies[0].text))

    try:
        exercises = Exercises(store, Options(clock=lambda: now[0], urge_wait=600))
        run_id = await store.start_exercise(7, "urge_delay", "waiting", {"urge": "phone"})
        run = await store.exercise(run_id)
        run["due_at"] = 1600.0
        await store.save_exercise(run)
        await store.set_quiet_until(7, 5000.0)
        loop = DueLoop([exercises], store, send, clock=lambda: now[0])
        now[0] = 1700.0
        assert await loop.tick() == 0 and sent == []
        assert (await store.exercise(run_id))["due_at"] == 1600.0  # still parked, not lost
        now[0] = 5001.0
        assert await loop.tick() == 1
        [(user, text)] = sent
        assert user == 7 and "phone" in text
        assert await loop.tick() == 0  # once
    finally:
        await store.close()


async def test_a_due_follow_up_is_handed_out_once(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
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
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
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
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
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
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
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


# --- steps as data (bot/flows/steps.py) -----------------------------------------------------

# Stored with runs in people's databases: a rename would strand every run in that step.
STORED_STEPS = {
    "before",
    "mode",
    "tap",
    "pacing",
    "after",
    "sense",
    "urge",
    "urge_text",
    "pick",
    "repeat",
    "consent",
    "write",
    "tips",
    "waiting",
}


def _specs() -> dict[str, list[dict]]:
    data = yaml.safe_load(FILE.read_text(encoding="utf-8"))
    return {name: exercise["steps"] for name, exercise in data["exercises"].items()}


def test_every_step_in_the_data_is_a_known_kind_with_a_stored_name():
    seen = set()
    for name, specs in _specs().items():
        assert [s["step"] for s in specs][-1] == "after", name  # every run ends rated
        for spec in specs:
            assert spec["kind"] in KINDS, (name, spec)
            seen.add(spec["step"])
    assert seen == STORED_STEPS


def test_the_next_step_comes_from_the_data():
    exercises = build(yaml.safe_load(FILE.read_text(encoding="utf-8")))
    for name, specs in _specs().items():
        machine = exercises[name]
        assert machine.first.name == specs[0]["step"]
        for index, spec in enumerate(specs):
            following = specs[index + 1]["step"] if index + 1 < len(specs) else ""
            step = machine.steps[spec["step"]]
            assert step.kind == spec["kind"]
            assert step.next == spec.get("next", following), (name, spec["step"])
    assert exercises["breathing"].steps["mode"].targets() == {"pacing", "tap"}
    assert exercises["urge_delay"].steps["urge"].targets() == {"before", "urge_text"}
    assert exercises["breathing"].steps["pacing"].next == "after"  # not the tap step listed next


@pytest.mark.parametrize(
    "change",
    [
        lambda steps: steps.insert(1, {"step": "shrug", "kind": "shrug"}),
        lambda steps: steps[1].update(next="nowhere"),
        lambda steps: steps.insert(1, {"step": "middle", "kind": "rating"}),
        lambda steps: steps.pop(),  # the last step would lead nowhere
        lambda steps: steps.append(dict(steps[0])),  # two steps stored under one name
        lambda steps: steps[4].update(next="before"),  # the store ends a wait at `after`
    ],
)
def test_steps_that_lead_nowhere_are_refused_when_the_data_is_read(change):
    data = yaml.safe_load(FILE.read_text(encoding="utf-8"))
    change(data["exercises"]["urge_delay"]["steps"])
    with pytest.raises(ValueError):
        build(data)


def test_a_run_goes_back_to_the_store_as_the_dict_it_came_from():
    row = {
        "id": 4,
        "user_id": 9,
        "name": "five_senses",
        "step": "sense",
        "state": {"pace": 0, "sense": 2, "ack": "Good."},
        "before": 6,
        "after": None,
        "due_at": None,
        "updated_at": 1_800_000_000.0,
        "finished_at": None,
    }
    assert Run.of(row).row() == row


@pytest.fixture
async def flow(tmp_path):
    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    yield Exercises(store, Options(tempo=0.01))
    await store.close()


async def _tap(flow: Exercises, user: int, action: str) -> list[Reply]:
    run = await flow.store.open_exercise(user)
    return await flow.on_payload(user, parse(f"ex:{run['id']}:{action}"))


def _text(name: str, key: str) -> str:
    return yaml.safe_load(FILE.read_text(encoding="utf-8"))["exercises"][name][key]


async def test_journal_consent_is_asked_until_a_yes_and_answers_are_kept_only_with_it(flow):
    await flow.start(1, "journal")
    [consent] = await _tap(flow, 1, "rate:5")
    assert [b.payload.split(":", 2)[2] for b in consent.buttons] == [
        "consent:yes",
        "consent:no",
        "stop",
    ]
    await _tap(flow, 1, "consent:no")
    not_kept, _ = await flow.on_text(1, "something true")
    assert not_kept.text == _text("journal", "not_kept")
    assert await flow.store.journal_entries(1) == []
    assert await flow.journal_text(1) == _text("journal", "off")

    await flow.start(1, "journal")
    [asked_again] = await _tap(flow, 1, "rate:5")
    assert asked_again.text == consent.text
    [question] = await _tap(flow, 1, "consent:yes")
    kept, _ = await flow.on_text(1, "honesty")
    assert kept.text == _text("journal", "kept")
    [entry] = await flow.store.journal_entries(1)
    assert entry["entry"] == "honesty" and entry["prompt"] in question.text

    await flow.start(1, "journal")
    [write] = await _tap(flow, 1, "rate:5")
    assert "Here's the question" in write.text  # a yes is not asked again
    assert (await flow.store.open_exercise(1))["step"] == "write"


@pytest.fixture
def restore_random():
    """The seeds below must not make later tests' random choices the same every run."""
    state = random.getstate()
    yield
    random.setstate(state)


async def test_five_senses_never_says_the_same_thanks_twice_running(flow, restore_random):
    noticed = _text("five_senses", "noticed")
    for seed in range(20):
        random.seed(seed)
        await flow.start(2, "five_senses")
        await _tap(flow, 2, "rate:5")
        thanks = []
        for typed in ("a lamp", "my sleeve", "a car", "coffee"):
            [reply] = await flow.on_text(2, typed)
            thanks.append(reply.text.split("\n\n")[0])
        done, _ = await flow.on_text(2, "mint")
        thanks.append(next(a for a in noticed if done.text.startswith(a)))
        assert set(thanks) <= set(noticed)
        assert all(a != b for a, b in zip(thanks, thanks[1:], strict=False)), thanks
        assert (await flow.store.open_exercise(2))["step"] == "after"


async def test_typed_words_move_tap_steps_and_a_typed_rating_counts(flow):
    await flow.start(3, "breathing")
    assert await flow.on_text(3, "I feel awful") is None  # not a rating: the dialogue answers
    await flow.on_text(3, "about 6")
    assert (await flow.store.open_exercise(3))["before"] == 6
    assert await flow.on_text(3, "the slow one") is None  # a choice is tapped, not typed
    await _tap(flow, 3, "mode:tap")
    [second] = await flow.on_text(3, "Done.")
    assert "Round 2 of 4" in second.text
    assert await flow.on_text(3, "this is hard") is None
    [again] = await _tap(flow, 3, "mode:timed")  # a button from the step before
    assert again.text == second.text
    [stopped] = await flow.on_text(3, "stop")
    assert stopped.text.startswith("Stopped") and await flow.store.open_exercise(3) is None


async def test_pacing_tokens_double_taps_and_typed_text(flow):
    await flow.start(4, "breathing")
    await _tap(flow, 4, "rate:6")
    [paced] = await _tap(flow, 4, "mode:timed")
    assert paced.pace.token == 1 and len(paced.pace.frames) == 4 * 16
    assert await _tap(flow, 4, "mode:timed") == []  # one counting message is enough
    [again] = await _tap(flow, 4, "resume")
    assert again.pace.token == 2
    assert not await flow.still_pacing(paced.pace.run_id, 1)
    assert await flow.paced_done(paced.pace.run_id, 1) == []  # an older count changes nothing
    assert await flow.still_pacing(again.pace.run_id, 2)
    assert await flow.on_text(4, "can we just talk") is None
    assert await flow.store.open_exercise(4) is None  # the breathing stopped
    assert not await flow.still_pacing(again.pace.run_id, 2)


async def test_a_restart_offers_fresh_paced_runs_and_ends_stale_ones(flow, monkeypatch):
    offset = [0.0]
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + offset[0])
    for user in (6, 5):  # 6 first, then half an hour and more passes
        await flow.start(user, "breathing")
        await _tap(flow, user, "rate:6")
        await _tap(flow, user, "mode:timed")
        offset[0] += RESUME_WITHIN_SECONDS + 60
    offset[0] -= RESUME_WITHIN_SECONDS + 60
    [(user, [offer])] = await flow.resumable()
    assert user == 5 and "Slow breathing" in offer.text
    assert [b.payload.split(":", 2)[2] for b in offer.buttons] == ["resume", "stop"]
    assert (await flow.ratings(6))[0]["outcome"] == "interrupted"
