"""The safety screen on the project's own set of crisis phrasings and benign traps."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.safety import expand, matches, normalise, screen

HERE = Path(__file__).resolve().parent
# The first set was written to build the rules; the other three were written blind, measured once
# as they came (figures in the closing notes), and only then used to improve the rules.
SETS = ["safety_cases.tsv", "safety_holdout.tsv", "safety_unseen.tsv", "safety_blind.tsv"]


def load_cases(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == ["category", "text"]
    return [(category, text) for category, text in rows[1:]]


@pytest.fixture(scope="module")
def cases() -> list[tuple[str, str]]:
    return [case for name in SETS for case in load_cases(HERE / name)]


def test_the_set_is_big_enough(cases):
    crisis = [c for c, _ in cases if c != "none"]
    assert len(crisis) >= 150
    assert len({text for _, text in cases}) == len(cases)  # no case counted twice
    assert {c for c in crisis} == {"self_harm", "abuse"}
    assert sum(c == "none" for c, _ in cases) >= 100


def test_every_crisis_is_caught(cases):
    missed = [text for category, text in cases if category != "none" and screen(text) is None]
    assert missed == []


def test_crises_get_the_right_kind_of_help(cases):
    wrong = [
        (category, text)
        for category, text in cases
        if category != "none" and screen(text) not in (None, category)
    ]
    assert wrong == []


def test_false_positives_stay_at_or_under_five_percent(cases):
    traps = [text for category, text in cases if category == "none"]
    flagged = [(text, matches(text)) for text in traps if screen(text) is not None]
    assert len(flagged) <= 0.05 * len(traps), flagged


@pytest.mark.parametrize(
    "idiom",
    [
        "this is killing me",
        "I'm dying to know",
        "I could kill him lol",
        "I'd rather die than go back",
        "she's killing our relationship",
        "I'm done with his excuses",
    ],
)
def test_the_issues_idioms_are_not_crises(idiom):
    assert screen(idiom) is None


def test_self_harm_wins_when_both_are_present():
    assert screen("he hit me again and i want to kill myself") == "self_harm"


def test_empty_and_emoji_only_texts_are_not_crises():
    assert screen("") is None
    assert screen("   ") is None
    assert screen("😭😭😭") is None


def test_normalise_handles_typography_leet_codes_and_stretching():
    assert normalise("I’M sooooo DONE") == "i am so done"
    assert normalise("k1ll mys3lf") == "kill myself"
    assert normalise("4 hours") == "4 hours"
    assert normalise("kms") == "kill myself"
    assert normalise("s u i c i d e") == "suicide"
    assert normalise("he won’t let me") == "he will not let me"


def test_rule_groups_expand_into_every_alternative():
    assert expand("{a b|c|} d") == ["a b d", "c d", "d"]
    # Single words fold into one token, matched as alternatives (optional with an empty one).
    assert expand("$P x", {"P": "{he|she}"}) == ["he|she x"]
    assert expand("{he|she|} x {=kms|y}") == ["he|she? x =kms", "he|she? x y"]


def _single_matcher_matches(text: str) -> list[tuple[str, str]]:
    """The screen as one spaCy Matcher over every pattern: the reference for the split one."""
    from spacy.matcher import Matcher

    from bot import safety

    global _REFERENCE
    if "_REFERENCE" not in globals():
        # English alone, and English with the other languages (for a message that may not be
        # English, `_foreign`)
        _REFERENCE = Matcher(safety._nlp().vocab), Matcher(safety._nlp().vocab)
        for section, matchers in ((None, _REFERENCE), (safety.OTHER_LANGUAGES, _REFERENCE[1:])):
            for label, patterns in safety._compiled(section).items():
                if label != "urgent":  # its own Matcher, asked only once a message is a crisis
                    for matcher in matchers:
                        matcher.add(label, patterns)
    if not text.strip():
        return []
    reference = _REFERENCE[1] if safety._foreign(safety.normalise(text)) else _REFERENCE[0]
    doc = safety._lemmatised(normalise(text))
    found = sorted(
        ((doc.vocab.strings[m], s, e) for m, s, e in reference(doc)), key=lambda f: (f[1], f[2])
    )
    idioms = [(s, e) for label, s, e in found if label == "not_crisis"]
    return [
        (label, doc[s:e].text)
        for label, s, e in found
        if label != "not_crisis" and not any(s < ie and is_ < e for is_, ie in idioms)
    ]


def test_the_split_rules_find_what_one_matcher_over_every_pattern_finds(cases):
    """Anchoring only makes the screen faster: on every message the project has (the safety
    sets, the NLU training data and the held-out file) it finds the same phrases."""
    from bot.model.evaluation import HELD_OUT, nlu_examples

    texts = [text for _, text in cases]
    texts += [text for _, text in nlu_examples() + nlu_examples(HELD_OUT)]
    assert len(texts) > 3000
    differ = [t for t in texts if sorted(matches(t)) != sorted(_single_matcher_matches(t))]
    assert differ == []
    assert sum(bool(matches(t)) for t in texts) > 500  # the comparison includes many finds


def test_screening_while_the_rules_compile_on_another_thread(cases, monkeypatch):
    """The bot compiles the rules on a worker thread at start while messages are screened on
    the loop: the messages wait for that one compilation (not a second beside it), and get the
    verdicts they get alone (spaCy's StringStore is shared between the two)."""
    import threading

    from bot import safety

    sample = cases[::5]
    expected = [screen(text) for _, text in sample]
    sections = (None, safety.OTHER_LANGUAGES)
    patterns = sum(len(safety._compiled(s)[c]) for s in sections for c in safety.CATEGORIES)
    anchored = []
    anchor = safety._anchor
    monkeypatch.setattr(safety, "_anchor", lambda p: anchored.append(1) or anchor(p))
    safety._compile_rules.cache_clear()
    safety._compiled.cache_clear()
    compiling = threading.Thread(target=safety.warm_up)
    compiling.start()
    seen = [screen(text) for _, text in sample]
    compiling.join()
    assert seen == expected
    assert len(anchored) == patterns  # compiled once
