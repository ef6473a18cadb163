"""The values every layer passes around: what the bot says, its buttons, a paced exercise.

Free of Rasa and Telegram, so flows, pacing and the due loop depend on nothing heavier than this;
the dialogue adapter (bot/dialogue.py) and the channels (bot/telegram.py, bot/console.py)
translate to and from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal


@dataclass(frozen=True)
class Button:
    title: str
    payload: str  # packed by bot/payloads.py, which also reads it back


@dataclass(frozen=True)
class Pace:
    """A timed run for the channel to play: one message, edited frame by frame."""

    run_id: int
    token: int
    frames: tuple[tuple[str, float], ...]
    stop: Button
    paused: str  # what the message says if the run stops while it plays
    flow: str = "exercises"  # the flow (bot/flows) that is told when it ends


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply: a photo shows in the chat, a document is a file to open."""

    name: str  # the file name the person sees (and the console writes under var/)
    data: bytes
    kind: Literal["photo", "document"] = "document"


@dataclass(frozen=True)
class Reply:
    text: str = ""
    buttons: tuple[Button, ...] = ()
    # What a dialogue response asks the core for (domain.yml: {exercise: menu}, {fallback: true}).
    custom: dict[str, Any] = field(default_factory=dict)
    rows: tuple[int, ...] = ()  # buttons per keyboard row; one per row when empty
    pace: Pace | None = None  # a timed exercise the channel plays after the text
    first: bool = False  # a safety reply: ahead of the chat's other unsent messages
    file: Attachment | None = None  # the /history chart, an /export file; `text` is its caption
    # A flow handing the turn back to the dialogue: the intent whose reply comes next (the
    # position question answered, the reply it was asked for follows).
    then_intent: str = ""


def first(replies: list[Reply]) -> list[Reply]:
    """Safety replies go to the head of the chat's queue of unsent messages (bot/outbox.py)."""
    return [replace(reply, first=True) for reply in replies]
