"""Typed answers to the bot's own questions: a yes, a no, a not-sure, in the words people use.

Every question asked with yes/no buttons also takes the answer typed (issue 15), so the flows read
typed answers here, in one place, rather than each keeping a word list. "Are you safe?" is the
exception and keeps its own reading (bot/conversation.py): there, anything but a clear no is a yes.
"""

from __future__ import annotations

import re

YES, NO, UNSURE = "yes", "no", "unsure"

_WORDS = {
    YES: r"y|ye+s+|ya+|yea+h?|yep|yup|sure|ok(?:ay)?|k|alright|definitely|of course|please"
    r"|yes please|go on|let'?s (?:do it|go|try)|i do|they do|he does|she does|i'?d like that"
    r"|sounds good|why not|i think so",
    NO: r"n|no+|nope|nah|not really|not now|no thanks?|no thank you|maybe later|later|never"
    r"|i don'?t|they don'?t|he doesn'?t|she doesn'?t|not at all|rather not|skip"
    r"|i don'?t think so",
    UNSURE: r"not sure|unsure|idk|i don'?t know|dunno|maybe|kind of|kinda|sort of|sometimes"
    r"|hard to say|no idea|both|a bit|a little",
}
_ANSWER = {
    kind: re.compile(rf"(?:{words})(?:[\s,]+(?:i think|i guess|tbh|honestly|lol))?", re.I)
    for kind, words in _WORDS.items()
}
_TRIM = re.compile(r"^[\s\W]+|[\s\W]+$")
# "no, not now", "yes!! let's": a clear first word carries a short answer, unless it hedges.
_LEADING = {
    YES: re.compile(r"(?:yes|yeah|yep|yup)\b", re.I),
    NO: re.compile(r"(?:no|nope|nah)\b", re.I),
}
_HEDGE = re.compile(r"\b(?:but|though|maybe|not sure|idk|kind of|kinda)\b", re.I)
SHORT = 5  # words: longer is a new message, not an answer


def yes_no(text: str, unsure: bool = False) -> str | None:
    """ "yes", "no" (or, if `unsure` is allowed, "unsure") for a short typed answer; None for
    anything longer or different, which is then not taken as an answer at all."""
    said = _TRIM.sub("", text.lower().replace("’", "'"))
    kinds = (UNSURE, YES, NO) if unsure else (YES, NO)  # "not sure" before "no"
    found = next((kind for kind in kinds if _ANSWER[kind].fullmatch(said)), None)
    if found or len(said.split()) > SHORT or _HEDGE.search(said):
        return found
    return next((kind for kind, first in _LEADING.items() if first.match(said)), None)
