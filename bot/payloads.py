"""Button payloads: one frozen dataclass per kind, packed and parsed here and nowhere else.

A payload comes back from the client when a button is tapped, so it is input like any other:
`parse` accepts only the shapes below and returns None for anything else, which could otherwise
smuggle text past the safety screen. Telegram allows 64 bytes of callback data; `pack` refuses to
build a longer one rather than letting the button vanish from the keyboard.

Every kind is written the same way, its `prefix` then its fields, joined by ":" (a trailing empty
field is left out), and `pattern` says what may be read back. The wire format is the one buttons
already sent carry (and domain.yml's responses), so a tap on an old message still means what it
meant.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass, fields
from datetime import date
from typing import ClassVar

LIMIT = 64  # bytes, Telegram's limit on callback data


class PayloadTooLong(ValueError):
    pass


class Payload:
    """Base of every kind: a prefix and fields to write it, a pattern to read it."""

    prefix: ClassVar[str]
    pattern: ClassVar[re.Pattern[str]]
    kinds: ClassVar[list[type[Payload]]] = []
    # A tap that starts a guided flow: the others step aside first (one flow at a time).
    starts: ClassVar[bool] = False

    def __init_subclass__(cls) -> None:
        Payload.kinds.append(cls)

    def _wire(self) -> str:
        parts = [self.prefix, *map(str, astuple(self))]
        while parts[-1] == "":
            parts.pop()
        return ":".join(parts)

    def pack(self) -> str:
        wire = self._wire()
        if len(wire.encode()) > LIMIT or self.parse_as(wire) != self:
            raise PayloadTooLong(f"not a valid {type(self).__name__} payload: {wire[:80]!r}")
        return wire

    @classmethod
    def parse_as(cls, data: str) -> Payload | None:
        match = cls.pattern.fullmatch(data)  # `$` alone would let a trailing newline in
        if match is None:
            return None
        values = [
            int(group) if field.type == "int" else group or ""
            for field, group in zip(fields(cls), match.groups(), strict=True)
        ]
        try:
            return cls(*values)
        except ValueError:  # the right shape, an impossible value (a date that does not exist)
            return None


def parse(data: str | None) -> Payload | None:
    """The payload a tapped button carried, or None when it is none of ours."""
    if not data or len(data.encode()) > LIMIT:
        return None
    for kind in Payload.kinds:
        payload = kind.parse_as(data)
        if payload is not None:
            return payload
    return None


@dataclass(frozen=True)
class Intent(Payload):
    """A topic or basic intent, handed to the dialogue model as Rasa's `/intent` message."""

    name: str
    pattern = re.compile(r"/([a-z_]{1,60})")

    def _wire(self) -> str:
        return f"/{self.name}"  # Rasa's own form, no prefix


@dataclass(frozen=True)
class SomethingElse(Payload):
    """ "None of these" under the unsure reply: the person is asked to say more."""

    prefix = "topic:other"
    pattern = re.compile(r"topic:other")


@dataclass(frozen=True)
class Country(Payload):
    code: str  # ISO 3166 alpha-2, or "other"
    prefix = "country"
    pattern = re.compile(r"country:([A-Z]{2}|other)")


@dataclass(frozen=True)
class SafetyAnswer(Payload):
    """An answer to "are you safe?" (self_harm / abuse: yes, ok: no), or the helplines (sos)."""

    answer: str
    prefix = "safety"
    pattern = re.compile(r"safety:(self_harm|abuse|ok|sos)")


@dataclass(frozen=True)
class ExerciseMenu(Payload):
    prefix = "ex:menu"
    pattern = re.compile(r"ex:menu")


@dataclass(frozen=True)
class ExerciseStart(Payload):
    name: str
    starts = True
    prefix = "ex:start"
    pattern = re.compile(r"ex:start:([a-z_]{1,30})")


@dataclass(frozen=True)
class ExerciseStep(Payload):
    """A tap inside a run; it carries the run's id, so an old message cannot drive a newer run."""

    run: int
    action: str
    arg: str = ""
    prefix = "ex"
    pattern = re.compile(r"ex:(\d{1,12}):([a-z]{1,10})(?::([a-z0-9_]{1,20}))?")


@dataclass(frozen=True)
class ReflectionStart(Payload):
    name: str
    starts = True
    prefix = "flow:start"
    pattern = re.compile(r"flow:start:([a-z_]{1,40})")


@dataclass(frozen=True)
class ReflectionAnswer(Payload):
    choice: str
    prefix = "flow:answer"
    pattern = re.compile(r"flow:answer:([a-z]{1,20})")


@dataclass(frozen=True)
class ReflectionStop(Payload):
    prefix = "flow:stop"
    pattern = re.compile(r"flow:stop")


@dataclass(frozen=True)
class CheckinStart(Payload):
    starts = True
    prefix = "ci:start"
    pattern = re.compile(r"ci:start")


@dataclass(frozen=True)
class CheckinAnswer(Payload):
    """A tap inside a check-in; its id keeps an old message from answering a newer one."""

    checkin: int
    field: str  # mood, steady, tag, note
    value: str
    prefix = "ci"
    pattern = re.compile(r"ci:(\d{1,12}):(mood|steady|tag|note):([a-z0-9_]{1,20})")


@dataclass(frozen=True)
class Nudge(Payload):
    """Snooze or skip from a nudge, for the local day it was sent for."""

    action: str  # snooze, skip
    day: str  # YYYY-MM-DD
    prefix = "nudge"
    pattern = re.compile(r"nudge:(snooze|skip):(20\d{2}-\d{2}-\d{2})")

    def __post_init__(self) -> None:
        date.fromisoformat(self.day)  # a real date, or ValueError


@dataclass(frozen=True)
class ScheduleStep(Payload):
    """The check-in schedule being set: start, not now, a zone, a time (HHMM), the days."""

    step: str
    value: str = ""
    prefix = "sch"
    pattern = re.compile(r"sch:(start|no|zone|at|days|day|weekly)(?::([A-Za-z0-9_+\-/]{1,40}))?")

    @property
    def starts(self) -> bool:  # type: ignore[override]
        return self.step == "start"


@dataclass(frozen=True)
class Side(Payload):
    """Which side of a broken trust the person is on (bot/flows/position.py): `ask` before the
    reply to `topic`, or the answer to that question. `topic` is the intent the reply is for."""

    choice: str  # ask, hurt, broke_trust, fearful, unclear
    topic: str
    prefix = "side"
    pattern = re.compile(r"side:(ask|hurt|broke_trust|fearful|unclear):([a-z_]{1,40})")


@dataclass(frozen=True)
class Forget(Payload):
    """The answer to /forget's "delete everything?": yes deletes, no keeps."""

    answer: str
    prefix = "forget"
    pattern = re.compile(r"forget:(yes|no)")


@dataclass(frozen=True)
class Keep(Payload):
    """/settings: keep what the person writes (journal, reflection answers, check-in notes), or
    stop keeping it and delete what was kept (bot/flows/privacy.py)."""

    answer: str
    prefix = "keep"
    pattern = re.compile(r"keep:(yes|no)")
