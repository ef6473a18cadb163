"""The kinds of exercise step, one class each, and an exercise as its steps in order.

Which step follows which, and which texts each shows, is data (bot/data/exercises.yml, each
exercise's `steps`); a step shows itself (`prompt`), takes a tap or typed text, and answers
where the run goes next (`Go`). The flow (bot/flows/exercises.py) stores the run and shows the
step it arrives at.
"""

from __future__ import annotations

import random

from bot.answers import yes_no
from bot.flows.steps_base import (
    NEXT_WORDS,
    RATING_ROWS,
    Go,
    Host,
    Outcome,
    Run,
    Step,
    button,
    parse_rating,
    text_of,
)
from bot.payloads import ExerciseMenu
from bot.replies import Button, Pace, Reply


class Rating(Step):
    """How intense it is, 0 to 10, or skip. Named for the column it fills: `before` leads on,
    `after` ends the run with how it moved."""

    kind = "rating"

    def __init__(self, spec: dict, exercise: Exercise, following: str | None) -> None:
        super().__init__(spec, exercise, following)
        if self.name not in ("before", "after"):
            raise ValueError(f"{exercise.name}: a rating is `before` or `after`, not {self.name}")

    @property
    def ends(self) -> bool:
        return self.name == "after"

    def prompt(self, run: Run, host: Host) -> Reply:
        shared = self.exercise.data["rating"][self.name]
        ask = self.ask(run) if "ask" in self.spec else shared
        buttons = [button(str(n), run.id, "rate", str(n)) for n in range(11)]
        buttons.append(button(self.label("skip"), run.id, "rate", "skip"))
        if not self.ends:  # at the end, skip is the way out
            buttons.append(self.stop(run))
        return Reply(ask, tuple(buttons), rows=RATING_ROWS)

    async def on_tap(self, run: Run, action: str, arg: str, host: Host) -> Outcome:
        value = None if arg == "skip" else int(arg) if arg.isdigit() else -1
        if action != "rate" or (value is not None and not 0 <= value <= 10):
            return [self.prompt(run, host)]
        if not self.ends:
            run.before = value
            return Go(self.next)
        await host.store.finish_exercise(run.id, "done", after=value)
        return [Reply(self._closing(run.before, value), (self._another(),))]

    async def on_text(self, run: Run, text: str, host: Host) -> Outcome | None:
        rating = parse_rating(text)
        return None if rating is None else await self.on_tap(run, "rate", str(rating), host)

    def _closing(self, before: int | None, after: int | None) -> str:
        shared = self.exercise.data["rating"]
        if before is None or after is None:
            return shared["skipped"]
        trend = "lower" if after < before else "same" if after == before else "higher"
        return self.texts.get(trend, shared[trend]).format(before=before, after=after)

    def _another(self) -> Button:
        return Button(self.label("another"), ExerciseMenu().pack())


class Choice(Step):
    """Buttons to pick from: the exercise's `choices` (the one picked is kept in the run's state
    under `keep`, its text filling that word later) and fixed `options`, each of which may lead to
    a step of its own. With `consent`, the answer is the person's journal consent."""

    kind = "choice"

    def __init__(self, spec: dict, exercise: Exercise, following: str | None) -> None:
        super().__init__(spec, exercise, following)
        self.action: str = spec["action"]
        self.options: dict[str, dict] = {o["arg"]: o for o in spec.get("options", [])}

    def targets(self) -> set[str]:
        return super().targets() | {o["next"] for o in self.options.values() if "next" in o}

    def choices(self) -> dict[str, dict]:
        return self.texts[self.spec["choices"]] if "choices" in self.spec else {}

    def words(self, state: dict) -> dict[str, str]:
        if "keep" not in self.spec:
            return {}
        picked = self.choices().get(state.get(self.spec["keep"]) or "", {})
        return {self.spec["keep"]: picked.get("text", "")}

    async def skip(self, run: Run, host: Host) -> bool:
        # Asked once: a yes stands; someone who said no is asked again next time.
        return bool(self.spec.get("consent") and await host.store.writing_consent(run.user_id))

    def prompt(self, run: Run, host: Host) -> Reply:
        buttons = [button(c["button"], run.id, self.action, k) for k, c in self.choices().items()]
        for arg, option in self.options.items():
            buttons.append(button(self.texts[option["button"]], run.id, self.action, arg))
        return Reply(self.ask(run), (*buttons, self.stop(run)))

    async def on_tap(self, run: Run, action: str, arg: str, host: Host) -> Outcome:
        if action != self.action or (arg not in self.choices() and arg not in self.options):
            return [self.prompt(run, host)]
        if self.spec.get("consent"):
            await host.store.set_writing_consent(run.user_id, arg == "yes")
        if arg in self.options:
            return Go(self.options[arg].get("next", self.next))
        if "keep" in self.spec:
            run.state[self.spec["keep"]] = arg
        return Go(self.next)

    async def on_text(self, run: Run, text: str, host: Host) -> Outcome | None:
        """A typed yes or no answers a yes/no choice (journal consent) like its button."""
        said = yes_no(text)
        if said is None or (said not in self.options and said not in self.choices()):
            return None
        return await self.on_tap(run, self.action, said, host)


class Tap(Step):
    """Something to do, then next or done (`action`). It counts rounds in the run's state
    (`counter`, up to `rounds` or through the list `each`), or shows one text (`ask`, or an item
    it `pick`s). With `acknowledge`, typed text moves on as well, thanked."""

    kind = "tap"

    def __init__(self, spec: dict, exercise: Exercise, following: str | None) -> None:
        super().__init__(spec, exercise, following)
        self.action: str = spec["action"]
        self.counter: str | None = spec.get("counter")
        self.first: int = spec.get("from", 0)

    def total(self) -> int:
        if "rounds" in self.spec:
            return self.texts[self.spec["rounds"]]
        return len(self.texts[self.spec["each"]]) if "each" in self.spec else 1

    def at(self, state: dict) -> int:
        return state.get(self.counter, self.first) if self.counter else self.first

    def words(self, state: dict) -> dict:
        words = super().words(state)
        if "rounds" in self.spec and self.counter:
            words |= {self.counter: self.at(state), self.spec["rounds"]: self.total()}
        return words

    def enter(self, run: Run, host: Host) -> None:
        super().enter(run, host)
        if self.counter:
            run.state.setdefault(self.counter, self.first)

    def prompt(self, run: Run, host: Host) -> Reply:
        if "ask" in self.spec:
            ask = self.ask(run)
        elif "each" in self.spec:
            ask = self.texts[self.spec["each"]][self.at(run.state) - self.first]
        else:
            ask = text_of(self._pickable()[run.state[self.spec["keep"]]])
        if "intro" in self.spec and self.at(run.state) == self.first:
            ask = f"{self.texts[self.spec['intro']]}\n\n{ask}"
        return Reply(ask, (button(self.label(self.action), run.id, self.action), self.stop(run)))

    async def on_tap(self, run: Run, action: str, arg: str, host: Host) -> Outcome:
        return self._advance(run) if action == self.action else [self.prompt(run, host)]

    async def on_text(self, run: Run, text: str, host: Host) -> Outcome | None:
        word = text.strip().lower().strip(".!")
        if "acknowledge" in self.spec:
            return self._advance(run, acknowledged=word not in NEXT_WORDS)
        return self._advance(run) if word in NEXT_WORDS else None

    def _advance(self, run: Run, acknowledged: bool = False) -> Go:
        state = run.state
        if self.counter:
            state[self.counter] = self.at(state) + 1
        ack = ""
        if acknowledged:  # never the same acknowledgement twice in a row
            fresh = [a for a in self.texts[self.spec["acknowledge"]] if a != state.get("ack")]
            ack = state["ack"] = random.choice(fresh)
        if self.counter and self.at(state) - self.first < self.total():
            return Go(self.name, prefix=ack)
        done = self.texts[self.spec["done"]] if "done" in self.spec else ""
        return Go(self.next, lead=f"{ack} {done}".strip())


class Pacing(Step):
    """Breathing the bot counts out: the rounds and phases of `pattern` (an exercise), played by
    the channel as one message edited count by count (bot/pacing.py). `says` comes above it."""

    kind = "pacing"

    def enter(self, run: Run, host: Host) -> None:
        # A new token each time it starts, so a pacer still playing an older count stops.
        run.state["pace"] = run.state.get("pace", 0) + 1

    def prompt(self, run: Run, host: Host) -> Reply:
        pattern = self.exercise.data["exercises"][self.spec["pattern"]]
        rounds = pattern["rounds"]
        frames = [
            (pattern["frame"].format(phase=p["label"], count=c, round=r, rounds=rounds), host.tempo)
            for r in range(1, rounds + 1)
            for p in pattern["phases"]
            for c in range(1, p["seconds"] + 1)
        ]
        stopped = self.exercise.data["paced_stopped"]
        pace = Pace(run.id, run.state["pace"], tuple(frames), self.stop(run), stopped)
        return Reply(self.texts[self.spec["says"]] if "says" in self.spec else "", pace=pace)

    def playing(self, run: Run, token: int) -> bool:
        return run.finished_at is None and run.state.get("pace") == token

    def finished(self) -> Go:
        return Go(self.next, lead=self.texts[self.spec["done"]] if "done" in self.spec else "")

    async def on_tap(self, run: Run, action: str, arg: str, host: Host) -> Outcome:
        if action == "resume":
            return Go(self.name)
        return []  # e.g. a second tap on "Count for me": one counting message is enough

    async def on_text(self, run: Run, text: str, host: Host) -> Outcome | None:
        # They want to talk: the breathing stops (its message says so) and the dialogue answers.
        await host.store.finish_exercise(run.id, "stopped")
        return None


class FreeText(Step):
    """Their own words. With `kept`, a journal answer to the question it `pick`ed, kept only
    with their consent; without, said and let go."""

    kind = "text"

    def prompt(self, run: Run, host: Host) -> Reply:
        return Reply(self.ask(run), (self.stop(run),))

    async def on_text(self, run: Run, text: str, host: Host) -> Outcome | None:
        if "kept" not in self.spec:
            return Go(self.next)  # named, not kept: it was for them to say
        entry = text.strip()
        if await host.store.writing_consent(run.user_id) and entry:
            question = self._picked(run.state)[self.spec["keep"]]
            await host.store.add_journal_entry(run.user_id, question, entry)
            return Go(self.next, self.texts[self.spec["kept"]])
        return Go(self.next, self.texts[self.spec["not_kept"]])


class Wait(Step):
    """A pause the bot ends itself. The run is parked with a `due_at`; once that has passed, the
    store hands it out once and moves it to `after` (Store.claim_due_exercises)."""

    kind = "wait"

    def enter(self, run: Run, host: Host) -> None:
        run.due_at = host.clock() + host.wait_seconds

    def prompt(self, run: Run, host: Host) -> Reply:
        return Reply(self.ask(run))


KINDS: dict[str, type[Step]] = {k.kind: k for k in (Rating, Choice, Tap, Pacing, FreeText, Wait)}


class Exercise:
    """One exercise: its texts and its steps, in the order `steps` lists them."""

    def __init__(self, name: str, data: dict) -> None:
        self.name = name
        self.data = data  # the whole file: the shared texts, and other exercises to borrow from
        self.texts: dict = data["exercises"][name]
        specs = self.texts["steps"]
        self.steps: dict[str, Step] = {}
        for index, spec in enumerate(specs):
            if spec.get("kind") not in KINDS or spec["step"] in self.steps:
                raise ValueError(f"{name}: step {spec.get('step')!r}: unknown kind or a repeat")
            following = specs[index + 1]["step"] if index + 1 < len(specs) else None
            self.steps[spec["step"]] = KINDS[spec["kind"]](spec, self, following)
        self.first = self.steps[specs[0]["step"]]
        for step in self.steps.values():
            if not step.targets() <= set(self.steps) or not (step.ends or step.next):
                raise ValueError(f"{name}: step {step.name!r} leads nowhere it knows")
        if any(isinstance(s, Wait) and s.next != "after" for s in self.steps.values()):
            raise ValueError(f"{name}: the store moves a run back from its wait to `after`")

    def step(self, name: str) -> Step:
        if name not in self.steps:
            raise ValueError(f"unknown exercise step {name!r} in {self.name}")
        return self.steps[name]

    def words(self, state: dict) -> dict:
        words: dict = {}
        for step in self.steps.values():
            words |= step.words(state)
        return words

    async def arrive(self, run: Run, name: str, host: Host) -> Step:
        """The run moves to step `name`, or past it when it has nothing to ask this time."""
        step = self.step(name)
        while await step.skip(run, host):
            step = self.step(step.next)
        step.enter(run, host)
        run.step = step.name
        return step


def build(data: dict) -> dict[str, Exercise]:
    return {name: Exercise(name, data) for name in data["exercises"]}
