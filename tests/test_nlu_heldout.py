"""The trained model on the independent held-out file (tests/nlu_test.yml, never trained on)."""

from __future__ import annotations

from sklearn.metrics import f1_score

from bot.classify import top_intent
from bot.model.evaluation import HELD_OUT, nlu_examples

MACRO_BAR = 0.85
# Every intent at 0.75 or more: the goal, met since the linear classifier (lowest 0.84 when set).
INTENT_FLOOR = 0.75


def examples() -> list[tuple[str, str]]:
    return nlu_examples(HELD_OUT)


async def test_heldout_macro_f1_meets_the_bar(agent):
    gold, predicted = [], []
    for intent, text in examples():
        gold.append(intent)
        predicted.append(top_intent(await agent.parse_message(text))[0])
    labels = sorted(set(gold))
    per_intent = dict(
        zip(labels, f1_score(gold, predicted, labels=labels, average=None), strict=True)
    )
    macro = sum(per_intent.values()) / len(per_intent)
    print(
        f"held-out macro F1 {macro:.3f}; lowest: "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(per_intent.items(), key=lambda kv: kv[1])[:5])
    )
    assert macro >= MACRO_BAR
    assert min(per_intent.values()) >= INTENT_FLOOR, per_intent


def test_heldout_file_is_not_training_data():
    """Written independently; only stock phrases of three words or fewer ("thank you",
    "are you human") may coincide, as any two writers produce them."""
    training = {text.lower() for _, text in nlu_examples()}
    shared = {text.lower() for _, text in examples()} & training
    assert all(len(text.split()) <= 3 for text in shared), shared
