"""What every exercise step shares: the run it moves, where it sends the run, the step's shape.

A run is what the store keeps of one exercise (table `exercises`); it is read into `Run` and
written back as the same dict, so rows stored before steps were data go on as they were. The
kinds of step are in bot/flows/steps.py.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from bot.payloads import ExerciseStep
from bot.replies import Button, Reply
from bot.store import Store

if TYPE_CHECKING:
    from bot.flows.steps import Exercise

RATING_ROWS = (6, 5, 2)
# People type scores as words too ("seven", "a solid eight").
NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    )
}
_RATING = re.compile(
    r"^\s*(?:about |maybe |like |a |an |a solid |solid )?(\d{1,2}|"
    + "|".join(NUMBER_WORDS)
    + r")(?:\s*(?:/|out of)\s*(?:10|ten))?\s*[.!]*\s*$"
)
NEXT_WORDS = {"next", "done", "ok", "okay", "k", "did it", "done it", "ready", "finished"}


def parse_rating(text: str) -> int | None:
    match = _RATING.match(text.lower())
    if not match:
        return None
    said = match.group(1)
    value = NUMBER_WORDS[said] if said in NUMBER_WORDS else int(said)
    return value if 0 <= value <= 10 else None


@dataclass
class Run:
    """One exercise run, as `Store.exercise` and its neighbours return it."""

    id: int
    user_id: int
    name: str
    step: str  # a step's stored name (exercises.yml: `step`)
    state: dict[str, Any]  # the little the steps need: round, picks, the pace token
    before: int | None = None
    after: int | None = None
    due_at: float | None = None
    finished_at: float | None = None
    updated_at: float = 0.0

    @classmethod
    def of(cls, row: dict) -> Run:
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row})

    def row(self) -> dict:
        """The dict `Store.save_exercise` takes."""
        return asdict(self)


@dataclass(frozen=True)
class Go:
    """Where a run goes next: to `step`, after `lead` (a message of its own); `prefix` opens the
    step's own text instead."""

    step: str
    lead: str = ""
    prefix: str = ""


# What a step answers: where the run goes, or the replies themselves.
Outcome = Go | list[Reply]


class Host(Protocol):
    """What a step uses of the flow (bot/flows/exercises.py): the store and the timing."""

    store: Store
    clock: Callable[[], float]
    tempo: float
    wait_seconds: float


def button(title: str, run_id: int, action: str, arg: str = "") -> Button:
    """A button inside a run: it carries the run's id, so it only ever drives this run."""
    return Button(title, ExerciseStep(run_id, action, arg).pack())


def fill(template: str, words: dict[str, Any]) -> str:
    # An empty word (no urge picked) would leave two spaces where it stood.
    return re.sub(r" {2,}", " ", template.format(**words))


def text_of(item: str | dict) -> str:
    """A listed text: a plain string, or one with a `source` beside its `text`."""
    return item if isinstance(item, str) else item["text"]


class Step:
    """One step of one exercise, from its entry in `steps`. Steps keep nothing themselves:
    all a run needs is in the run, so it survives a restart."""

    kind: ClassVar[str]

    def __init__(self, spec: dict, exercise: Exercise, following: str | None) -> None:
        self.spec = spec
        self.name: str = spec["step"]
        self.exercise = exercise
        self.texts: dict = exercise.texts
        self.next: str = spec.get("next", following or "")  # "" when the run ends here

    @property
    def ends(self) -> bool:
        return False

    def targets(self) -> set[str]:
        """The steps this one can send a run to."""
        return {self.next} if self.next else set()

    def words(self, state: dict) -> dict[str, Any]:
        """What this step fills into the exercise's texts (`{urge}`, `{round}`, ...)."""
        return self._picked(state)

    async def skip(self, run: Run, host: Host) -> bool:
        return False

    def enter(self, run: Run, host: Host) -> None:
        """What a run needs as it arrives here."""
        if "pick" in self.spec:  # chosen once, so a restart shows the same text
            run.state.setdefault(self.spec["keep"], random.randrange(len(self._pickable())))

    def prompt(self, run: Run, host: Host) -> Reply:
        raise NotImplementedError

    async def on_tap(self, run: Run, action: str, arg: str, host: Host) -> Outcome:
        return [self.prompt(run, host)]  # a button from an earlier step: show where we are

    async def on_text(self, run: Run, text: str, host: Host) -> Outcome | None:
        return None  # not an answer to this step: the conversation answers instead

    def ask(self, run: Run) -> str:
        return fill(self.texts[self.spec["ask"]], self.exercise.words(run.state))

    def label(self, key: str) -> str:
        return self.exercise.data["buttons"][key]

    def stop(self, run: Run) -> Button:
        return button(self.label("stop"), run.id, "stop")

    def _pickable(self) -> list:
        return self.texts[self.spec["pick"]]

    def _picked(self, state: dict) -> dict[str, str]:
        keep = self.spec.get("keep")
        if "pick" not in self.spec or keep not in state:
            return {}
        return {keep: text_of(self._pickable()[state[keep]])}
