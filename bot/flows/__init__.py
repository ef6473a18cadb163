"""The guided flows and their registry: one shape for every flow.

A flow is a multi-step conversation that needs buttons, timing or a table of its own (an
exercise, a reflection). `Conversation` (bot/conversation.py) treats them all alike:

- typed text goes to each flow in registry order, and the first that takes it answers;
- a button goes to the flow that owns its payload kind (bot/payloads.py); one that starts a flow
  first sets the others aside, so only one runs at a time;
- a crisis interrupts every flow at once;
- the due loop (bot/nudges.py) asks each flow what is due, and after a restart what to offer again.

Adding a flow is its module, its data file, one line in `REGISTRY`, and its table in the store.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar

from bot.payloads import Payload
from bot.replies import Reply
from bot.store import Store

# (person, what to send them[, claim]). A claim marks the item handed out and says whether it
# still was: the due loop runs it just before queueing that one message, so a stop or a crash
# between the two can cost at most that one message, not a whole batch claimed up front.
Claim = Callable[[], Awaitable[bool]]
Due = list[tuple[int, list[Reply]] | tuple[int, list[Reply], Claim]]


@dataclass(frozen=True)
class Options:
    """What tests and benchmarks speed up (a clock to move, a tempo for the counting, the urge
    delay's wait), and the retention settings /privacy states and the daily sweep applies."""

    clock: Callable[[], float] = time.time
    tempo: float = 1.0  # seconds per count in a paced exercise
    urge_wait: float = 600.0  # seconds an urge delay waits before asking how it went
    keep_events_days: int = 30  # BOT_KEEP_EVENTS_DAYS
    keep_inactive_days: int = 365  # BOT_KEEP_INACTIVE_DAYS

    @classmethod
    def kept_as(cls, settings, **options) -> Options:
        """`options` with the retention ages of the settings (bot/settings.py)."""
        return cls(
            keep_events_days=settings.keep_events_days,
            keep_inactive_days=settings.keep_inactive_days,
            **options,
        )


REAL_TIME = Options()

# What the conversation remembers lasts this long: one conversation, the span of a Rasa session
# (domain.yml: session_expiration_time). A reflection finished in it is not offered again; an
# exercise declined in it is not offered again (bot/conversation.py).
CONVERSATION_SECONDS = 6 * 3600
# A question a flow asked in passing (which side? what stands out?) is answered within this long;
# a message later than that is a new one.
ANSWER_SECONDS = 3600


class Flow:
    """The shape every flow has; the defaults are what a flow without that part does."""

    name: ClassVar[str]
    payloads: ClassVar[tuple[type[Payload], ...]] = ()  # the button kinds it answers

    def __init__(self, store: Store, options: Options = REAL_TIME) -> None:
        self.store = store
        self.options = options

    async def active(self, user_id: int) -> bool:
        """Whether the person is in the middle of this flow."""
        return False

    async def on_text(self, user_id: int, text: str) -> list[Reply] | None:
        """Typed text (already screened for safety); None when it is not for this flow."""
        return None

    async def on_payload(self, user_id: int, payload: Payload) -> list[Reply]:
        return []

    async def interrupt(self, user_id: int) -> None:
        """A crisis: end at once, pending follow-ups included."""

    async def set_aside(self, user_id: int) -> None:
        """Another flow starts: end what is open (a flow may keep what is parked)."""
        await self.interrupt(user_id)

    async def due(
        self, now: float, user_id: int | None = None, quiet: frozenset[int] = frozenset()
    ) -> Due:
        """Messages this flow starts itself whose time has come, each handed out once.
        `user_id` limits it to one person (the console chat shares the database). People in
        `quiet` are inside the quiet mark after a crisis (bot/nudges.py decides who): what is
        due for them stays unclaimed, to go out when the mark has passed."""
        return []

    async def remembered(self, user_id: int, key: str, within: float) -> str | None:
        """What the store remembers under `key` for the person, if set in the last `within`
        seconds (the store stamps with time.time(), not the options' clock)."""
        return (await self.store.recall(user_id, time.time() - within)).get(key)

    async def offers(self, user_id: int, payload: Payload) -> bool:
        """Whether a button starting this flow is worth showing now (a reflection the person
        has just finished is not offered again in the same conversation)."""
        return True

    async def resumable(self, user_id: int | None = None) -> Due:
        """After a restart: what was under way and is worth offering again, once."""
        return []


def _registry() -> tuple[type[Flow], ...]:
    # Imported here: the flows import this module for `Flow`.
    from bot.flows.checkin import Checkin
    from bot.flows.exercises import Exercises
    from bot.flows.position import Position
    from bot.flows.privacy import Privacy
    from bot.flows.reflection import Reflections
    from bot.flows.schedule import Schedule

    # Typed text goes to them in this order.
    return (
        Exercises,
        Reflections,
        Checkin,
        Schedule,
        Position,
        Privacy,
    )


def build(store: Store, options: Options = REAL_TIME) -> list[Flow]:
    return [kind(store, options) for kind in _registry()]
