"""LinearIntentClassifier on its own: fake embeddings keep this fast and independent of MiniLM."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.model.intent_classifier import LinearIntentClassifier

EXAMPLES = {
    "greet": ["hi", "hello there", "hey you", "good morning"],
    "checking_urge": [
        "i want to check his phone",
        "i keep looking at her location",
        "the urge to read his messages",
        "i went through her phone again",
    ],
    "stay_or_leave": [
        "should i leave him",
        "stay or go",
        "i cant decide whether to end it",
        "is it time to walk away",
    ],
}


def _message(text: str, intent: str | None = None) -> Message:
    message = Message(data={TEXT: text, **({INTENT: intent} if intent else {})})
    # A stand-in for the MiniLM vector: deterministic per text, unit length like the real one.
    rng = np.random.default_rng(zlib.crc32(text.encode()))
    vector = rng.normal(size=(1, 8)).astype(np.float32)
    message.add_features(
        Features(vector / np.linalg.norm(vector), FEATURE_TYPE_SENTENCE, TEXT, "fake")
    )
    return message


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


@pytest.fixture
def context():
    return ExecutionContext(GraphSchema({}), node_name="intent_classifier")


def _trained(storage, context) -> tuple[LinearIntentClassifier, Resource]:
    resource = Resource("intent_classifier")
    classifier = LinearIntentClassifier.create({}, storage, resource, context)
    data = TrainingData(
        [_message(text, intent) for intent, texts in EXAMPLES.items() for text in texts]
    )
    classifier.train(data)
    return classifier, resource


def test_ranking_is_a_probability_distribution_led_by_the_intent(storage, context):
    classifier, _ = _trained(storage, context)
    [message] = classifier.process([_message("should i leave her or stay")])
    ranking = message.get("intent_ranking")
    assert message.get(INTENT)["name"] == ranking[0]["name"] == "stay_or_leave"
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)


def test_a_loaded_model_predicts_what_the_trained_one_did(storage, context):
    classifier, resource = _trained(storage, context)
    loaded = LinearIntentClassifier.load({}, storage, resource, context)
    texts = ["hey there", "checking his phone", "walk away or not"]
    before = classifier.predict_proba([_message(t) for t in texts])
    after = loaded.predict_proba([_message(t) for t in texts])
    np.testing.assert_allclose(before, after, rtol=1e-5)
    assert loaded.classes == classifier.classes


def test_messages_without_text_are_left_alone(storage, context):
    classifier, _ = _trained(storage, context)
    empty = Message(data={})
    assert classifier.process([empty]) == [empty]
    assert empty.get(INTENT) is None


def test_missing_sentence_embedding_is_a_clear_error(storage, context):
    classifier, _ = _trained(storage, context)
    with pytest.raises(ValueError, match="SentenceEncoderFeaturizer"):
        classifier.process([Message(data={TEXT: "hello"})])


def test_the_fast_scorer_matches_scikit_learns_transform(storage, context):
    classifier, _ = _trained(storage, context)
    # Repeated words, unseen words, emoji, upper case and a message with no known n-gram at all.
    texts = ["CHECKING checking his phone phone", "should i go 💔", "xyzzy", "hi hi hi", "🙂"]
    messages = [_message(t) for t in texts]
    reference = classifier._features(messages) @ classifier.coef.T + classifier.intercept
    expected = np.exp(reference - reference.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(classifier.predict_proba(messages), expected, rtol=1e-4, atol=1e-6)


def test_the_off_topic_offset_lowers_only_the_off_topic_odds(storage, context):
    examples = {**EXAMPLES, "out_of_scope": ["whats the weather", "write me a poem", "2+2"]}
    resource = Resource("off_topic")
    plain = LinearIntentClassifier.create({}, storage, resource, context)
    messages = [_message(t, i) for i, texts in examples.items() for t in texts]
    plain.fit(messages, [m.get(INTENT) for m in messages])
    offset = LinearIntentClassifier(
        {"off_topic_offset": 2.0},
        storage,
        resource,
        plain.vectorizers,
        plain.coef,
        plain.intercept,
        plain.classes,
    )
    said = [_message("is it the weather or should i leave")]
    before, after = plain.predict_proba(said)[0], offset.predict_proba(said)[0]
    off, leave = plain.classes.index("out_of_scope"), plain.classes.index("stay_or_leave")
    # The off-topic odds against any other class shrink by e^2; the others' odds stay.
    assert after[off] / after[leave] == pytest.approx(before[off] / before[leave] / np.e**2)
    greet = plain.classes.index("greet")
    assert after[greet] / after[leave] == pytest.approx(before[greet] / before[leave])


def test_threads_can_be_left_unread(storage, context):
    classifier, resource = _trained(storage, context)
    unread = LinearIntentClassifier(
        {"threads": False},
        storage,
        resource,
        classifier.vectorizers,
        classifier.coef,
        classifier.intercept,
        classifier.classes,
    )
    [message] = unread.process([_message("should i leave. i keep checking his phone.")])
    assert message.get("threads") is None and message.get(INTENT) is not None
