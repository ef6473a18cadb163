"""Twenty conversations of 8 to 12 turns, written blind for issue 15 (tests/conversations.yml),
replayed through the real pipeline (safety, flows, the trained model) one turn at a time.

Each turn says what a good bot understands it as: a topic or basic intent, how the person is now
(relief, goodnight, distress, vent), or `answer` — an answer to the question the previous reply
asked. A turn is understood when the model heard that intent (goodnight and goodbye count alike),
or, for an answer, when the bot replied to its own question (a heard reply, or more on that
topic); a "yes" that starts the exercise just offered counts as the yes. A safety question or an
unsure reply is never understood. The share understood, and the worst turns, go to
docs/quality.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot import payloads
from bot.conversation import Conversation
from bot.dialogue import Turn
from bot.payloads import SafetyAnswer

FILE = Path(__file__).parent / "conversations.yml"
REPORT = Path(__file__).parent.parent / "reports" / "replay.txt"
FALLBACKS = {"utter_default", "utter_default_again"}
NOT_TOPICS = {"answer", "affirm", "deny"}
STARTS = {"utter_start_breathing", "utter_start_urge_delay"}
# Leaving for the night and saying goodbye end the conversation alike: either reply is right.
SAME = {"goodnight": {"goodnight", "goodbye"}, "goodbye": {"goodbye", "goodnight"}}


@dataclass
class Judged:
    conversation: str
    said: str
    expect: str
    heard: str  # the intent the model heard, or "flow" when a flow took the text
    confidence: float
    actions: tuple[str, ...]
    replies: list[str]
    understood: bool
    fallback: bool


def judge(expect: str, topic: str | None, turn: Turn | None, replies, asked_safety) -> tuple:
    """(understood, fallback) for one turn, from what the model heard and what it chose."""
    if asked_safety:
        return False, False
    if turn is None:  # a flow took the text: right only when it answered the flow's question
        return expect in NOT_TOPICS, False
    heard = any(a.startswith("utter_heard_") for a in turn.actions)
    # A weak crisis signal from the model alone is answered "could you say more?" unless the
    # message answered the bot's question (bot/conversation.py): that is not understanding.
    fallback = bool(FALLBACKS & set(turn.actions)) or (
        turn.intent in ("self_harm", "abuse") and not heard
    )
    if fallback:
        return False, True
    if expect == "answer":
        return heard or turn.intent == topic, False
    if expect == "affirm" and STARTS & set(turn.actions):
        return True, False  # "ok yeah do the breathing": the offered exercise starts
    # A new topic read as an answer to the last question got the wrong reply, whatever it heard.
    other_heard = heard and not any(a.endswith(expect) for a in turn.actions)
    return turn.intent in SAME.get(expect, {expect}) and not other_heard, False


async def replay(conversation: Conversation, conversations: list[dict]) -> list[Judged]:
    judged: list[Judged] = []
    heard: list[tuple[str, Turn]] = []
    conversation.on_turn = lambda _user, message, turn: heard.append((message, turn))
    for number, script in enumerate(conversations, start=1000):
        topic = None
        for step in script["turns"]:
            heard.clear()
            replies = await conversation.on_text(number, step["say"])
            typed = [t for m, t in heard if m == step["say"]]
            turn = typed[0] if typed else None
            asked_safety = any(r.first for r in replies)
            if any(_asks_if_safe(r) for r in replies):
                # As the person would: "No, I'm okay", then the next line of the script.
                await conversation.on_payload(number, SafetyAnswer("ok").pack())
            understood, fallback = judge(step["expect"], topic, turn, replies, asked_safety)
            judged.append(
                Judged(
                    script["name"],
                    step["say"],
                    step["expect"],
                    turn.intent or "" if turn else ("safety" if asked_safety else "flow"),
                    turn.confidence if turn else 0.0,
                    turn.actions if turn else (),
                    [r.text for r in replies],
                    understood,
                    fallback,
                )
            )
            if step["expect"] not in NOT_TOPICS:
                topic = step["expect"]
    return judged


def _asks_if_safe(reply) -> bool:
    tapped = [payloads.parse(b.payload) for b in reply.buttons]
    return any(isinstance(p, SafetyAnswer) and p.answer != "sos" for p in tapped)


def report(judged: list[Judged]) -> str:
    right = sum(j.understood for j in judged)
    alarms = sum(j.heard == "safety" for j in judged)
    lines = [
        f"understood {right}/{len(judged)} = {right / len(judged):.3f}",
        f"safety question or crisis reply (none of these turns is a crisis): {alarms}",
        "",
    ]
    labels = sorted({j.expect for j in judged})
    for label in labels:
        of = [j for j in judged if j.expect == label]
        lines.append(f"  {label:24} {sum(j.understood for j in of)}/{len(of)}")
    worst = sorted((j for j in judged if not j.understood), key=lambda j: -j.confidence)
    lines += ["", "misunderstood, most confident first:"]
    for j in worst:
        lines.append(
            f"  [{j.conversation}] {j.said!r}: expected {j.expect}, heard {j.heard}"
            f" ({j.confidence:.2f}) -> {', '.join(j.actions) or '-'}"
        )
    return "\n".join(lines) + "\n"


def test_the_blind_conversations_are_what_the_issue_asked_for():
    scripts = yaml.safe_load(FILE.read_text(encoding="utf-8"))["conversations"]
    assert len(scripts) == 20
    assert all(8 <= len(s["turns"]) <= 12 for s in scripts)


async def test_the_scripted_conversations_are_understood_no_worse_than_before(conversation):
    scripts = yaml.safe_load(FILE.read_text(encoding="utf-8"))["conversations"]
    judged = await replay(conversation, scripts)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(report(judged), encoding="utf-8")
    # 0.804 (172) when issue 15 closed; the two data-rights intents of issue 17 took one turn
    # under the fallback threshold (more classes share the probability). A set tuned against
    # guards against regressions here; it is not evidence of generalisation (docs/quality.md).
    assert sum(j.understood for j in judged) >= 171, REPORT.read_text()
    # Never the same words twice when the bot did not understand, twice in a row.
    for before, after in zip(judged, judged[1:], strict=False):
        if before.fallback and after.fallback and before.conversation == after.conversation:
            assert not set(before.replies) & set(after.replies), (before.said, after.said)
