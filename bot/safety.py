"""Crisis and abuse detection. Runs on every text a person sends, before the model sees it.

A decision here never depends on the Rasa model: it is made from phrase rules over normalised
text, so it works while the model is loading, and when it has failed to load.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Category = Literal["self_harm", "abuse"]

_TYPOGRAPHIC = str.maketrans({"‘": "'", "’": "'", "ʼ": "'", "`": "'", "“": '"', "”": '"'})
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})

# Coded words people use to get past filters, and frequent misspellings, mapped to plain words.
_CODED = {
    r"\bun ?aliv\w*": "kill",
    r"\bkms\b": "kill myself",
    r"\bkys\b": "kill yourself",
    r"\bsewer ?slide\b": "suicide",
    r"\bsuicid\w*\b": "suicide",
    r"\bsuiside\b": "suicide",
    r"\bsucide\b": "suicide",
    r"\bsewerslide\b": "suicide",
    r"\bim\b": "i am",
    r"\bi'm\b": "i am",
    r"\bcant\b": "cannot",
    r"\bcan't\b": "cannot",
    r"\bwanna\b": "want to",
    r"\bgonna\b": "going to",
    r"\bdont\b": "do not",
    r"\bdon't\b": "do not",
    r"\bmyslef\b": "myself",
    r"\bmyself\b": "myself",
}


def normalise(text: str) -> str:
    """Lowercase, plain apostrophes, no leetspeak in words, no stretched letters ("sooo")."""
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHIC).lower()
    # Only translate digits inside words ("k1ll"), so "4 hours" keeps its number.
    text = re.sub(r"\b\w*[a-z]\w*\b", lambda m: m.group(0).translate(_LEET), text)
    text = re.sub(r"([a-z])\1{2,}", r"\1", text)
    for pattern, plain in _CODED.items():
        text = re.sub(pattern, plain, text)
    return re.sub(r"\s+", " ", text).strip()


_SELF = r"(?:myself|my self|my life)"
SELF_HARM = [
    rf"\b(?:kill|hurt|harm|cut|end|off) {_SELF}\b",
    r"\bend (?:it all|everything|things)\b",
    r"\bsuicide\b",
    r"\b(?:want|wanting|wish|going|plan|planning|ready) to die\b",
    r"\bwant(?:ing)? to be dead\b",
    r"\bwish i (?:was|were) dead\b",
    r"\bwish i (?:was|were) never born\b",
    r"\b(?:better off|be better) without me\b",
    r"\bno (?:reason|point) (?:to|in) (?:live|living|go on|going on|being alive)\b",
    r"\bdo not want to (?:live|be alive|be here|wake up|exist)\b",
    r"\bcannot (?:go on|keep going|do this anymore) (?:living|with life)\b",
    r"\b(?:take|took|taking) (?:all )?(?:my|the) (?:pills|meds|tablets)\b",
    r"\boverdos\w*\b",
    r"\bdisappear (?:forever|for good|permanently)\b",
    r"\bnot be here anymore\b",
    r"\bself[- ]?harm\w*\b",
    r"\bcutting (?:myself|again)\b",
    r"\bjump off\b",
    r"\bhang myself\b",
]

_PARTNER = r"(?:he|she|they|my (?:partner|boyfriend|girlfriend|bf|gf|husband|wife|ex|fiance|fiancee))"
ABUSE = [
    rf"\b{_PARTNER} (?:hit|hits|hitting|punched|punches|slapped|slaps|kicked|kicks|choked|chokes|strangled|beat|beats|shoved|pushed) me\b",
    r"\b(?:hit|punched|slapped|kicked|choked|strangled|beaten|beat up) (?:me|by)\b",
    r"\bthreaten\w* (?:to )?(?:kill|hurt|harm) (?:me|my|the kids|our)\b",
    r"\b(?:will|going to|gonna) kill me\b",
    r"\bforced me\b",
    r"\bforces me to\b",
    r"\bmade me have sex\b",
    r"\braped?\b",
    r"\bwon't let me (?:leave|go out|see|talk)\b",
    r"\bdoes not let me (?:leave|go out|see|talk)\b",
    r"\blocked me in\b",
    r"\btook my phone\b",
    r"\btakes my phone\b",
    r"\bafraid (?:for my life|he will kill me|she will kill me|to go home)\b",
    r"\bscared (?:for my life|to go home|he will hurt me|she will hurt me)\b",
    r"\bnot safe at home\b",
    r"\bhurt(?:s|ing)? the (?:kids|children|baby)\b",
]

# Idioms ("this is killing me", "dying to know") match none of these by construction.
_SELF_HARM_RE = [re.compile(p) for p in SELF_HARM]
_ABUSE_RE = [re.compile(p) for p in ABUSE]


def screen(text: str) -> Category | None:
    """The crisis category of a text, or None. Self-harm wins when both are present."""
    if not text or not text.strip():
        return None
    plain = normalise(text)
    if any(p.search(plain) for p in _SELF_HARM_RE):
        return "self_harm"
    if any(p.search(plain) for p in _ABUSE_RE):
        return "abuse"
    return None
