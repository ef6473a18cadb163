"""After a reply that asked something, the next message is read as its answer.

Every topic reply ends with a question ("Which boundary would you want to put into words
first?"), and people answer it in words the intent classifier files under some other topic:
"i guess i dont check his location anymore" reads as checking_urge. Rules can only follow
the intent they are given; this policy looks at the conversation instead. When the bot's last
reply asked a question that has a heard reply (domain.yml: utter_X and utter_heard_X), and the
message is not a new request, the heard reply follows. It stands aside for:

- how the person is now, and what they ask of the bot (relief, goodnight, distress, vent,
  greetings, thanks, a grounding exercise, a check-in), and a sure crisis signal;
- a body in alarm the model is sure of (an anxiety spike, an urge to check): calm comes first;
- a question or a request ("how do i...", "should i...", "?"): a new topic, asked;
- a long message the model reads with some confidence as another topic: a new story;
- an answer long after the question (a flow or a night's sleep came between).

Rules and memoization still decide everything else; a prediction here outranks them only when
it is made (priority 5, above RulePolicy's 4).
"""

from __future__ import annotations

import re
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.safety import MODEL_SIGNAL_CONFIDENCE

HEARD = "utter_heard_"
STAND_ASIDE = {
    "greet",
    "goodbye",
    "thanks",
    "bot_challenge",
    "help",
    "relief",
    "goodnight",
    "distress",
    "vent",
    "request_grounding",
    "checkin",
    "privacy_question",
    "delete_data",
}
# The model's own crisis intents: the safety screen (bot/safety.py) has already read the message
# and found no crisis. Heard this surely, the model's signal makes bot/conversation.py ask "are
# you safe?", and this policy stands aside; below it, the signal would only have asked the person
# to say more, so an answer to the bot's question is taken as one.
CRISIS = {"self_harm", "abuse"}
BODY_ALARM = {"anxiety_spike", "checking_urge"}
# Questions that invite the person to say what is going on: any topic is their answer. Only what
# the model cannot place is heard (stories/rules.yml).
INVITATIONS = {"utter_greet", "utter_ack", "utter_no_pressure", "utter_thanks"}
SURE = 0.8  # a body alarm heard at least this surely is answered as one
NEW_STORY_WORDS = 25  # a message this long ...
NEW_STORY_CONFIDENCE = 0.6  # ... read this surely as another topic is a new story
ANSWER_SECONDS = 20 * 60
_TOPIC_OF = {"utter_past_vs_present": "past_vs_present_fear"}  # where the names differ
# A question or a request: a message that opens like one, the usual asking phrases anywhere, or
# one that ends in a question mark ("maybe march? when..." inside an answer is not one).
_QUESTION = re.compile(
    r"^\W*(?:how|what|why|when|where|who|which|should|shall|is|are|am|can|could|do|does|did"
    r"|will|would|whats|what's|hows|how's|wheres|where's|whos|who's|isnt|isn't"
    r"|any ?(?:tips|advice|ideas)|help me|tell me)\b"
    r"|\bwhat (?:does|do|is|are|would|should|can)\b"
    r"|\b(?:is (?:it|that|this) (?:normal|ok|okay|fair|too much|wrong|bad|reasonable)"
    r"|should i|how do i|how can i|how do you|what do i|what should|am i|do i|can i|is there"
    r"|i need (?:help|advice))\b"
    r"|\w\W*\?\W*$",
    re.IGNORECASE,
)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class AnswerPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 5}

    def train(self, training_trackers: list, domain: Domain, **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn: it reads the domain's names

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        scores = self._default_predictions(domain)
        action = heard_reply(tracker, domain)
        if action is not None:
            scores[domain.index_for_action(action)] = 1.0
        return self._prediction(scores)


def heard_reply(tracker: DialogueStateTracker, domain: Domain) -> str | None:
    """The action this policy chooses now, or None to leave the choice to the others."""
    latest = tracker.latest_action_name
    if latest and latest.startswith(HEARD):
        return ACTION_LISTEN_NAME  # the heard reply said; wait for the person
    if latest != ACTION_LISTEN_NAME:
        return None
    message = tracker.latest_message
    asked = _asked(tracker)
    if message is None or asked is None or not message.text or message.text.startswith("/"):
        return None
    if asked.action_name in INVITATIONS:
        return None  # "what's going on?" is answered by a topic: the rules take it
    heard = HEARD + asked.action_name.removeprefix("utter_")
    if heard not in domain.action_names_or_texts:
        return None  # that reply asked nothing we take answers to
    if message.timestamp - asked.timestamp > ANSWER_SECONDS:
        return None
    intent = message.intent or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    if name in STAND_ASIDE or (name in BODY_ALARM and confidence >= SURE):
        return None
    if name in CRISIS and confidence >= MODEL_SIGNAL_CONFIDENCE:
        return None
    if _QUESTION.search(message.text):
        return None
    topic = _TOPIC_OF.get(asked.action_name, asked.action_name.removeprefix("utter_"))
    long = len(message.text.split()) >= NEW_STORY_WORDS
    if long and name != topic and confidence >= NEW_STORY_CONFIDENCE and name != "nlu_fallback":
        return None
    return heard


def _asked(tracker: DialogueStateTracker) -> ActionExecuted | None:
    """The bot's last action before the person's latest message."""
    seen_user = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if seen_user:
                return None  # two messages without a reply between: nothing was asked
            seen_user = True
        elif seen_user and isinstance(event, ActionExecuted):
            if event.action_name != ACTION_LISTEN_NAME:
                return event
    return None
