"""Which side of a broken trust the person is on, as a Rasa entity: `position`.

domain.yml's `position` slot is filled from this entity in the same turn, so the reply to "how do
I get her to forgive me" is already the one for the person who broke the trust. Two readers, the
first that answers wins:

- bot/position.py's patterns ("I cheated", "she cheated on me", "my ex cheated"), which are
  rarely wrong but miss most indirect wording;
- a linear model over the same features as the intent classifier (bot/model/linear.py), trained
  on bot/data/position/ (hurt, broke_trust, fearful, none), which reads "been on the couch since
  i confessed". It names a side only when sure (`threshold`): a side never said costs one kind
  question (bot/flows/position.py); a wrong side costs advice written for someone else.

The entity's role says which: `said` (the patterns) or `guessed` (the model).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import position
from bot.model.intent_classifier import LinearIntentClassifier

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "position"
NONE = "none"
# A side said in so many words ("I cheated") fills the slot at once and stands until said
# otherwise; one the model only guesses fills it only while no side is known
# (bot/conversation.py), so a guess never overturns what the person said.
SAID, GUESSED = "said", "guessed"


# NLU intents whose examples seldom say who broke the trust: they teach `none` what an anxious,
# everyday message looks like ("its been hours since she replied and my chest is so tight" had
# read as broke_trust at 0.8 without them). Any the patterns place on a side are left out.
NEUTRAL_INTENTS = {
    "anxiety_spike",
    "checking_urge",
    "request_grounding",
    "checkin",
    "greet",
    "goodbye",
    "thanks",
    "affirm",
    "deny",
    "bot_challenge",
    "help",
    "out_of_scope",
    "relief",
    "goodnight",
    "distress",
    "vent",
    "what_are_trust_issues",
    "attachment_style",
    "faq_therapy",
}
NEUTRAL_KEPT = 700  # about three times a side's own examples: `none` stays the cautious answer


def examples() -> list[tuple[str, str]]:
    """(label, text) from bot/data/position/<label>.txt, then the neutral NLU examples."""
    from bot.model.evaluation import nlu_examples

    pairs = []
    for path in sorted(DATA_DIR.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                pairs.append((path.stem, line.strip()))
    neutral = [
        text
        for intent, text in nlu_examples()
        if intent in NEUTRAL_INTENTS and position.detect(text) is None
    ]
    step = max(1, len(neutral) // NEUTRAL_KEPT)
    return pairs + [(NONE, text) for text in neutral[::step]]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class PositionExtractor(LinearIntentClassifier, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **LinearIntentClassifier.get_default_config(),
            "C": 10.0,
            "threshold": 0.6,  # config.yml sets it
        }

    def train(self, training_data: TrainingData) -> Resource:
        from bot.model.encoder import shared_encoder

        pairs = examples()
        texts = [t for _, t in pairs]
        messages = [Message(data={TEXT: t}) for t in texts]
        vectors = shared_encoder().encode_many(texts)
        for message, vector in zip(messages, vectors, strict=True):
            message.features = [_sentence_feature(vector)]
        return self.fit(messages, [label for label, _ in pairs])

    def process(self, messages: list[Message]) -> list[Message]:
        with_text = [m for m in messages if m.get(TEXT) and not m.get(TEXT).startswith("/")]
        if not with_text:
            return messages
        learned = self.predict_proba(with_text) if self.classes else None
        for i, message in enumerate(with_text):
            text = message.get(TEXT)
            side, confidence, role = position.detect(text), 1.0, SAID
            if side is None and learned is not None:
                best = int(np.argmax(learned[i]))
                side, confidence, role = self.classes[best], float(learned[i][best]), GUESSED
            if side in (None, NONE) or confidence < self.config["threshold"]:
                continue
            entity = {
                "entity": "position",
                "value": side,
                "start": 0,
                "end": len(text),
                "confidence_entity": confidence,
                "role": role,
            }
            found = [*message.get(ENTITIES, []), *self.add_extractor_name([entity])]
            message.set(ENTITIES, found, add_to_output=True)
        return messages


def _sentence_feature(vector: np.ndarray):
    from rasa.shared.nlu.training_data.features import Features

    return Features(vector.reshape(1, -1), "sentence", TEXT, "position_training")
