"""Rasa's FallbackClassifier, with a higher bar for a topic reply to a long message.

The classifier learned from messages of a line or two. On long real questions (several threads,
the backstory first) its confidence promises more than it keeps: on ../shared/external's
development set, messages of 30 words or more whose top topic scored 0.5-0.9 had it right
58% of the time. Below `long_threshold` such a message gets the "which of these?" buttons,
which held the right topic for about three in four of them, instead of a reply on a topic that is
as likely wrong as right. Off topic is left to the ordinary threshold: its reply already offers
the likeliest topics.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.model.intent_classifier import OFF_TOPIC
from bot.model.sentences import is_long


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LengthAwareFallbackClassifier(FallbackClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**FallbackClassifier.get_default_config(), "long_threshold": 0.7}

    def _nlu_confidence_below_threshold(self, message: Message) -> tuple[bool, float]:
        below, confidence = super()._nlu_confidence_below_threshold(message)
        if below or not is_long(message.get(TEXT) or ""):
            return below, confidence
        if message.data[INTENT].get(INTENT_NAME_KEY) == OFF_TOPIC:
            return below, confidence
        return confidence < self.component_config["long_threshold"], confidence
