"""A long message's second thread: people write context first and several things at once, and
one reply answers one of them. The classifier reads each sentence alone
(bot/model/intent_classifier.py, `threads`); the surest other topic is offered as a button."""

from __future__ import annotations

from collections.abc import Collection

from bot.texts import topics

# A sentence must read this surely as another topic to be offered. On the development set of
# real questions the right topic is the reply's or the button's for 47 of 110 in-scope
# questions, against 41 for the reply alone (docs/quality.md; 0.7 offered a button under a third
# more of the messages for a few more right, 0.9 fewer right).
THREAD_CONFIDENCE = 0.8


def second_thread(
    intent: str | None, threads: tuple[tuple[str, float], ...], offered: Collection[str] = ()
) -> str | None:
    """The topic to offer beside `intent`'s reply, or None; `offered`: topics already on a
    button."""
    if intent not in topics():
        return None
    return next(
        (
            name
            for name, confidence in threads
            if confidence >= THREAD_CONFIDENCE
            and name != intent
            and name in topics()
            and name not in offered
        ),
        None,
    )
