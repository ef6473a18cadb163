"""Grounding exercises (guide, Step 6): small state machines over a stored run.

Each exercise is its steps in order, as data (bot/data/exercises.yml); the kinds of step are in
bot/flows/steps.py. This module routes taps and typed text to the run's step, and stores the run
as it moves.

Every run lives in the store's `exercises` table, so a restart in the middle loses nothing:
tapped steps simply go on, a timed breathing run is offered again (`interrupted`), and an urge
delay comes back when its time is due (`due`), whenever the bot is running then. Safety
screening happens before any typed text reaches this module.

Buttons carry the run id, so a tap on an old message can never drive someone else's run or a
newer one; it gets the current step again, or a note that the exercise has ended.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

import yaml

from bot.flows import REAL_TIME, Due, Flow, Options
from bot.flows.reflection import is_stop
from bot.flows.steps import Exercise, Pacing, build
from bot.flows.steps_base import RATING_ROWS, Go, Run, Step, button, parse_rating
from bot.payloads import ExerciseMenu, ExerciseStart, ExerciseStep, Payload
from bot.replies import Button, Reply
from bot.store import Store

__all__ = ["FILE", "RATING_ROWS", "RESUME_WITHIN_SECONDS", "Exercises", "names", "parse_rating"]

FILE = Path(__file__).resolve().parent.parent / "data" / "exercises.yml"
# A timed run the bot was pacing when it stopped is offered again only if it is this fresh;
# after longer, the moment has passed and an unasked-for message would only intrude.
RESUME_WITHIN_SECONDS = 30 * 60


@cache
def _data() -> dict:
    return yaml.safe_load(FILE.read_text(encoding="utf-8"))


@cache
def _exercises() -> dict[str, Exercise]:
    return build(_data())


def names() -> list[str]:
    return list(_data()["menu"]["order"])


def _ex(name: str) -> dict:
    return _data()["exercises"][name]


def _button(key: str) -> str:
    return _data()["buttons"][key]


def _step(run: Run) -> Step:
    return _exercises()[run.name].step(run.step)


def _pacing_steps() -> list[str]:
    """The stored names of steps the channel paces: the runs a restart offers to carry on."""
    return sorted(
        {s.name for e in _exercises().values() for s in e.steps.values() if isinstance(s, Pacing)}
    )


class Exercises(Flow):
    name = "exercises"
    payloads = (ExerciseMenu, ExerciseStart, ExerciseStep)

    def __init__(self, store: Store, options: Options = REAL_TIME) -> None:
        super().__init__(store, options)
        self.tempo = options.tempo  # seconds per count; tests speed the counting up
        self.clock = options.clock
        self.wait_seconds = options.urge_wait

    async def active(self, user_id: int) -> bool:
        return await self.store.open_exercise(user_id) is not None

    # --- entry points ----------------------------------------------------------------------

    async def menu(self, user_id: int) -> Reply:
        buttons = [Button(_ex(n)["button"], ExerciseStart(n).pack()) for n in names()]
        ask = _data()["menu"]["ask"]
        helped = await self._what_helped(user_id)
        return Reply(f"{helped}\n\n{ask}" if helped else ask, tuple(buttons))

    async def _what_helped(self, user_id: int) -> str:
        """The person's own before/after ratings, averaged per exercise: what works for them."""
        moved: dict[str, list[tuple[int, int]]] = {}
        for rating in await self.store.exercise_ratings(user_id):
            if rating["before"] is not None and rating["after"] is not None:
                moved.setdefault(rating["name"], []).append((rating["before"], rating["after"]))
        if not moved:
            return ""
        texts = _data()["what_helped"]
        lines = [texts["heading"]]
        by_drop = sorted(moved.items(), key=lambda kv: -sum(b - a for b, a in kv[1]) / len(kv[1]))
        for name, pairs in by_drop[:3]:
            lines.append(
                texts["line"].format(
                    title=_ex(name)["title"],
                    before=round(sum(b for b, _ in pairs) / len(pairs), 1),
                    after=round(sum(a for _, a in pairs) / len(pairs), 1),
                    times=len(pairs),
                )
            )
        return "\n".join(lines)

    async def start(self, user_id: int, name: str) -> list[Reply]:
        if name not in names():
            return [await self.menu(user_id)]
        first = _exercises()[name].first.name
        run_id = await self.store.start_exercise(user_id, name, first, {"pace": 0})
        return await self._go(await self._run(run_id), Go(first))

    async def on_payload(self, user_id: int, payload: Payload) -> list[Reply]:
        if isinstance(payload, ExerciseMenu):
            return [await self.menu(user_id)]
        if isinstance(payload, ExerciseStart):
            return await self.start(user_id, payload.name)
        if not isinstance(payload, ExerciseStep):
            return []
        run = await self._run(payload.run)
        if run is None or run.user_id != user_id or run.finished_at is not None:
            return [Reply(_data()["stale"])]
        if payload.action == "stop":
            return await self._stop(run)
        outcome = await _step(run).on_tap(run, payload.action, payload.arg, self)
        return await self._go(run, outcome) if isinstance(outcome, Go) else outcome

    async def on_text(self, user_id: int, message: str) -> list[Reply] | None:
        """Typed text inside an exercise; None when it is not for the exercise (talk instead)."""
        row = await self.store.open_exercise(user_id)
        if row is None:
            return None
        run = Run.of(row)
        if is_stop(message):
            return await self._stop(run)
        outcome = await _step(run).on_text(run, message, self)
        return await self._go(run, outcome) if isinstance(outcome, Go) else outcome

    async def paced_done(self, run_id: int, token: int) -> list[Reply]:
        run = await self._run(run_id)
        step = self._pacing(run, token)
        if run is None or step is None:
            return []
        return await self._go(run, step.finished())

    async def still_pacing(self, run_id: int, token: int) -> bool:
        return self._pacing(await self._run(run_id), token) is not None

    async def due(
        self, now: float, user_id: int | None = None, quiet: frozenset[int] = frozenset()
    ) -> Due:
        """Urge delays whose wait is over: the question that brings the person back."""
        return [
            (row["user_id"], [self._prompt(Run.of(row))])
            for row in await self.store.claim_due_exercises(now, user_id, quiet)
        ]

    async def resumable(self, user_id: int | None = None) -> Due:
        """After a restart: timed runs that were playing. Fresh ones are offered again."""
        offers = []
        for step in _pacing_steps():
            for run in map(Run.of, await self.store.exercises_in_step(step, user_id)):
                if time.time() - run.updated_at > RESUME_WITHIN_SECONDS:
                    await self.store.finish_exercise(run.id, "interrupted")
                    continue
                buttons = (
                    button(_button("resume"), run.id, "resume"),
                    button(_button("stop"), run.id, "stop"),
                )
                offer = _data()["resume_offer"].format(title=_ex(run.name)["title"])
                offers.append((run.user_id, [Reply(offer, buttons)]))
        return offers

    async def interrupt(self, user_id: int) -> None:
        """A crisis ends every exercise at once, a pending urge follow-up included."""
        await self.store.interrupt_exercises(user_id)

    async def set_aside(self, user_id: int) -> None:
        """Another guided flow starts: the open exercise ends (a parked urge delay stays)."""
        await self.store.end_open_exercises(user_id, "replaced")

    async def ratings(self, user_id: int) -> list[dict]:
        return await self.store.exercise_ratings(user_id)

    async def journal_text(self, user_id: int) -> str:
        texts = _ex("journal")
        entries = await self.store.journal_entries(user_id)
        if not entries:
            declined = await self.store.writing_consent(user_id) is False
            return texts["off"] if declined else texts["empty"]
        parts = [texts["heading"]]
        for entry in entries:
            day = datetime.fromtimestamp(entry["written_at"], timezone.utc).strftime("%d %b %Y")
            parts.append(f"{day} · {entry['prompt']}\n{entry['entry']}")
        return "\n\n".join(parts)

    async def forget_journal(self, user_id: int) -> str:
        count = await self.store.forget_journal(user_id)
        return _ex("journal")["forgotten"].format(count=count)

    # --- moving a run ----------------------------------------------------------------------

    async def _run(self, run_id: int) -> Run | None:
        row = await self.store.exercise(run_id)
        return Run.of(row) if row else None

    async def _go(self, run: Run, go: Go) -> list[Reply]:
        step = await _exercises()[run.name].arrive(run, go.step, self)
        await self.store.save_exercise(run.row())
        prompt = step.prompt(run, self)
        if go.prefix:
            prompt = replace(prompt, text=f"{go.prefix}\n\n{prompt.text}")
        return [Reply(go.lead), prompt] if go.lead else [prompt]

    async def _stop(self, run: Run) -> list[Reply]:
        await self.store.finish_exercise(run.id, "stopped")
        return [Reply(_data()["stopped"])]

    def _prompt(self, run: Run) -> Reply:
        return _step(run).prompt(run, self)

    @staticmethod
    def _pacing(run: Run | None, token: int) -> Pacing | None:
        """The pacing step `run` is in, if the count with this token is still wanted."""
        if run is None or run.name not in _exercises():
            return None
        step = _exercises()[run.name].steps.get(run.step)
        return step if isinstance(step, Pacing) and step.playing(run, token) else None
