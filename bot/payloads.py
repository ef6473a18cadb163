"""Button payloads: one frozen dataclass per kind, packed and parsed here and nowhere else.

A payload comes back from the client when a button is tapped, so it is input like any other:
`parse` accepts only the shapes below and returns None for anything else, which could otherwise
smuggle text past the safety screen. Telegram allows 64 bytes of callback data; `pack` refuses to
build a longer one rather than letting the button vanish from the keyboard.

The wire format is the one buttons already sent carry (and domain.yml's responses), so a tap on an
old message still means what it meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

LIMIT = 64  # bytes, Telegram's limit on callback data


class PayloadTooLong(ValueError):
    pass


class Payload:
    """Base of every kind: a pattern to read it, a format to write it."""

    pattern: ClassVar[re.Pattern[str]]
    kinds: ClassVar[list[type[Payload]]] = []
    # A tap that starts a guided flow: the others step aside first (one flow at a time).
    starts: ClassVar[bool] = False

    def __init_subclass__(cls) -> None:
        Payload.kinds.append(cls)

    def _wire(self) -> str:
        raise NotImplementedError

    def pack(self) -> str:
        wire = self._wire()
        if len(wire.encode()) > LIMIT or self.parse_as(wire) != self:
            raise PayloadTooLong(f"not a valid {type(self).__name__} payload: {wire[:80]!r}")
        return wire

    @classmethod
    def parse_as(cls, data: str) -> Payload | None:
        match = cls.pattern.fullmatch(data)  # `$` alone would let a trailing newline in
        try:
            return cls._of(match) if match else None
        except ValueError:  # the right shape, an impossible value (a date that does not exist)
            return None

    @classmethod
    def _of(cls, match: re.Match[str]) -> Payload:
        return cls(*match.groups())


@dataclass(frozen=True)
class Intent(Payload):
    """A topic or basic intent, handed to the dialogue model as Rasa's `/intent` message."""

    name: str
    pattern = re.compile(r"^/([a-z_]{1,60})$")

    def _wire(self) -> str:
        return f"/{self.name}"


@dataclass(frozen=True)
class SomethingElse(Payload):
    """ "None of these" under the unsure reply: the person is asked to say more."""

    pattern = re.compile(r"^topic:other$")

    def _wire(self) -> str:
        return "topic:other"


@dataclass(frozen=True)
class Country(Payload):
    code: str  # ISO 3166 alpha-2, or "other"
    pattern = re.compile(r"^country:([A-Z]{2}|other)$")

    def _wire(self) -> str:
        return f"country:{self.code}"


@dataclass(frozen=True)
class SafetyAnswer(Payload):
    """An answer to "are you safe?" (self_harm / abuse: yes, ok: no), or the helplines (sos)."""

    answer: str
    pattern = re.compile(r"^safety:(self_harm|abuse|ok|sos)$")

    def _wire(self) -> str:
        return f"safety:{self.answer}"


@dataclass(frozen=True)
class ExerciseMenu(Payload):
    pattern = re.compile(r"^ex:menu$")

    def _wire(self) -> str:
        return "ex:menu"


@dataclass(frozen=True)
class ExerciseStart(Payload):
    name: str
    starts = True
    pattern = re.compile(r"^ex:start:([a-z_]{1,30})$")

    def _wire(self) -> str:
        return f"ex:start:{self.name}"


@dataclass(frozen=True)
class ExerciseStep(Payload):
    """A tap inside a run; it carries the run's id, so an old message cannot drive a newer run."""

    run: int
    action: str
    arg: str = ""
    pattern = re.compile(r"^ex:(\d{1,12}):([a-z]{1,10})(?::([a-z0-9_]{1,20}))?$")

    @classmethod
    def _of(cls, match: re.Match[str]) -> Payload:
        run, action, arg = match.groups()
        return cls(int(run), action, arg or "")

    def _wire(self) -> str:
        return f"ex:{self.run}:{self.action}" + (f":{self.arg}" if self.arg else "")


@dataclass(frozen=True)
class ReflectionStart(Payload):
    name: str
    starts = True
    pattern = re.compile(r"^flow:start:([a-z_]{1,40})$")

    def _wire(self) -> str:
        return f"flow:start:{self.name}"


@dataclass(frozen=True)
class ReflectionAnswer(Payload):
    choice: str
    pattern = re.compile(r"^flow:answer:([a-z]{1,20})$")

    def _wire(self) -> str:
        return f"flow:answer:{self.choice}"


@dataclass(frozen=True)
class ReflectionStop(Payload):
    pattern = re.compile(r"^flow:stop$")

    def _wire(self) -> str:
        return "flow:stop"


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
class CheckinStart(Payload):
    pattern = re.compile(r"ci:start")
    starts = True

    def _wire(self) -> str:
        return "ci:start"


@dataclass(frozen=True)
class CheckinAnswer(Payload):
    """A tap inside a check-in; its id keeps an old message from answering a newer one."""

    checkin: int
    field: str  # mood, steady, tag, note
    value: str
    pattern = re.compile(r"ci:(\d{1,12}):(mood|steady|tag|note):([a-z0-9_]{1,20})")

    @classmethod
    def _of(cls, match: re.Match[str]) -> Payload:
        checkin, field, value = match.groups()
        return cls(int(checkin), field, value)

    def _wire(self) -> str:
        return f"ci:{self.checkin}:{self.field}:{self.value}"


@dataclass(frozen=True)
class Nudge(Payload):
    """Snooze or skip from a nudge, for the local day it was sent for."""

    action: str  # snooze, skip
    day: str  # YYYY-MM-DD
    pattern = re.compile(r"nudge:(snooze|skip):(20\d{2}-\d{2}-\d{2})")

    @classmethod
    def _of(cls, match: re.Match[str]) -> Payload:
        action, day = match.groups()
        date.fromisoformat(day)  # a real date, or ValueError
        return cls(action, day)

    def _wire(self) -> str:
        return f"nudge:{self.action}:{self.day}"


@dataclass(frozen=True)
class ScheduleStep(Payload):
    """The check-in schedule being set: start, not now, a zone, a time (HHMM), the days."""

    step: str
    value: str = ""
    pattern = re.compile(r"sch:(start|no|zone|at|days|day|weekly)(?::([A-Za-z0-9_+\-/]{1,40}))?")

    @classmethod
    def _of(cls, match: re.Match[str]) -> Payload:
        step, value = match.groups()
        return cls(step, value or "")

    @property
    def starts(self) -> bool:  # type: ignore[override]
        return self.step == "start"

    def _wire(self) -> str:
        return f"sch:{self.step}" + (f":{self.value}" if self.value else "")
