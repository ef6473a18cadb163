"""The one place that talks to Rasa: loading the agent, our aiosqlite tracker store, replies."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.replies import Button, Reply
from bot.store import Store

if TYPE_CHECKING:
    from rasa.core.agent import Agent

logger = logging.getLogger(__name__)

# Longer texts are cut before the model sees them: the meaning is in the first lines, and
# featurising thousands of characters would only add latency. Safety screens the full text.
MAX_NLU_CHARS = 1500
# People whose current session is kept in memory (a few kB each), the most recent ones.
CACHED_SESSIONS = 2000


class ModelUnavailable(RuntimeError):
    """The Rasa model is still loading, or failed to load (`failed`)."""

    def __init__(self, failed: bool) -> None:
        super().__init__("model failed to load" if failed else "model still loading")
        self.failed = failed


@dataclass(frozen=True)
class Turn:
    """What the model said, and which intent (with what confidence) it heard."""

    replies: list[Reply]
    intent: str | None = None
    confidence: float = 0.0
    ranking: tuple[tuple[str, float], ...] = ()
    # What the message's sentences read as alone, surest first (intent_classifier.threads).
    threads: tuple[tuple[str, float], ...] = ()
    actions: tuple[str, ...] = ()  # what the policies chose, in order (utter_..., not listen)
    # name (or name/role): value, as the model read them
    entities: dict[str, str] = field(default_factory=dict)


def _tracker_store_class():
    from rasa.core.tracker_store import SerializedTrackerAsText, TrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    class SqliteTrackerStore(TrackerStore, SerializedTrackerAsText):
        """Rasa's SQLTrackerStore is synchronous SQLAlchemy and would block the event loop.

        Each person's current session is also kept in memory, as the event dicts saved, so a
        turn neither reloads and decodes the session from SQLite nor counts it before saving.
        The file stays the record: a restart, or a database attached anew, starts from it.
        """

        def __init__(self, store: Store | None = None) -> None:
            super().__init__(domain=None)
            self._sessions: OrderedDict[str, list[dict]] = OrderedDict()
            self.store = store
            # The intent heard in each sender's latest message, handed to Dialogue.respond
            # without a second read of the tracker.
            self.latest_intents: dict[str, dict] = {}
            self.latest_actions: dict[str, tuple[str, ...]] = {}

        @property
        def store(self) -> Store | None:
            return self._store

        @store.setter
        def store(self, store: Store | None) -> None:
            self._store = store
            self._sessions.clear()  # what was cached belongs to the previous database

        def forget(self, sender_id: str) -> None:
            self._sessions.pop(sender_id, None)
            self.latest_intents.pop(sender_id, None)
            self.latest_actions.pop(sender_id, None)

        def _require_store(self) -> Store:
            if self._store is None:
                raise RuntimeError("tracker store used before a database was attached")
            return self._store

        def _remember(self, sender_id: str, session: list[dict]) -> None:
            self._sessions[sender_id] = session
            self._sessions.move_to_end(sender_id)
            while len(self._sessions) > CACHED_SESSIONS:
                self._sessions.popitem(last=False)

        async def save(self, tracker: DialogueStateTracker) -> None:
            store = self._require_store()
            sender = tracker.sender_id
            cached = self._sessions.get(sender)
            if cached is not None:
                already = len(cached)
            else:
                already = await store.count_session_events(sender)
            new = [_without_words(e.as_dict()) for e in list(tracker.events)[already:]]
            await store.append_events(sender, new)
            if cached is not None:
                # The cached session starts at its own session_started; only a new one moves it.
                starts = [i for i, e in enumerate(new) if e.get("event") == "session_started"]
                self._remember(sender, new[starts[-1] :] if starts else cached + new)
            if tracker.latest_message and tracker.latest_message.intent:
                self.latest_intents[sender] = tracker.latest_message.parse_data
                self.latest_actions[sender] = tuple(
                    e["name"]
                    for e in new
                    if e.get("event") == "action" and e.get("name", "").startswith("utter_")
                )

        async def _retrieve(self, sender_id: str, all_sessions: bool):
            if not all_sessions and sender_id in self._sessions:
                events = self._sessions[sender_id]
                self._sessions.move_to_end(sender_id)
            else:
                events = await self._require_store().session_events(sender_id, all_sessions)
                if not all_sessions:
                    self._remember(sender_id, events)
            if not events:
                return None
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

        async def retrieve(self, sender_id: str):
            return await self._retrieve(sender_id, all_sessions=False)

        async def retrieve_full_tracker(self, conversation_id: str):
            return await self._retrieve(conversation_id, all_sessions=True)

        async def keys(self):
            return await self._require_store().tracker_senders()

    return SqliteTrackerStore


def _whole_message_channel():
    from rasa.core.channels.channel import CollectingOutputChannel

    class WholeMessageChannel(CollectingOutputChannel):
        """Rasa splits texts at blank lines into separate messages; we keep a reply whole."""

        async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
            await self._persist_message(self._message(recipient_id, text=text.strip()))

    return WholeMessageChannel()


def _no_repeat_generator():
    import copy
    import random

    from rasa.core.nlg.response import ResponseVariationFilter, TemplatedNaturalLanguageGenerator
    from rasa.shared.core.events import BotUttered

    class NoRepeatGenerator(TemplatedNaturalLanguageGenerator):
        """Picks a variation at random, but never the one this person got last time."""

        async def generate(self, utter_action, tracker, output_channel, **kwargs):
            filled = tracker.current_slot_values()
            options = ResponseVariationFilter(self.responses).responses_for_utter_action(
                utter_action, output_channel, filled
            )
            if not options:
                return None
            last = next(
                (
                    e.text
                    for e in reversed(tracker.events)
                    if isinstance(e, BotUttered) and e.metadata.get("utter_action") == utter_action
                ),
                None,
            )
            fresh = [o for o in options if o.get("text") != last] or options
            return self._fill_response(copy.deepcopy(random.choice(fresh)), filled, **kwargs)

    return NoRepeatGenerator({})


def _without_words(event: dict) -> dict:
    """A person's message as the dialogue needs it later: how it was read (intent, entities),
    not the sentence. The words are neither stored nor kept in the cached session; the turn
    that reads them still has them in memory."""
    if event.get("event") != "user":
        return event
    event = {k: v for k, v in event.items() if k != "text"}
    if isinstance(event.get("parse_data"), dict):
        event["parse_data"] = {k: v for k, v in event["parse_data"].items() if k != "text"}
    return event


def load_agent(model_path: Path) -> Agent:
    """Blocking (tens of seconds): call it through `Dialogue.load`, off the event loop."""
    from rasa.core.agent import Agent

    return Agent.load(
        str(model_path), tracker_store=_tracker_store_class()(), generator=_no_repeat_generator()
    )


def _load_warm(model_path: Path) -> Agent:
    agent = load_agent(model_path)
    from bot.model.encoder import shared_encoder

    # Builds the encoder's TensorFlow graph now rather than on the first person's message.
    shared_encoder().encode("warming up")
    return agent


class Dialogue:
    """Wraps one loaded agent and binds its tracker store to this process's database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._agent: Agent | None = None
        self._loaded = asyncio.Event()
        self._error: BaseException | None = None
        self._trackers = None
        self._reading: set[asyncio.Task] = set()

    @property
    def ready(self) -> bool:
        return self._agent is not None

    def use(self, agent: Agent) -> None:
        # The agent wraps our store in Rasa's FailSafeTrackerStore; reach the one we made.
        self._trackers = agent.tracker_store._tracker_store
        self._trackers.store = self.store
        self._agent = agent
        self._loaded.set()

    async def load(self, model_path: Path) -> None:
        """Loads in a worker thread so updates keep flowing (and crises are answered) meanwhile."""
        try:
            agent = await asyncio.get_running_loop().run_in_executor(None, _load_warm, model_path)
        except Exception as error:  # noqa: BLE001 - any failure leaves the bot in its safe mode
            logger.exception("Loading the Rasa model from %s failed", model_path)
            self._error = error
            self._loaded.set()
            return
        self.use(agent)
        logger.info("Rasa model loaded")

    async def _agent_or_raise(self, wait: float) -> Agent:
        if self._agent is None and wait > 0:
            try:
                await asyncio.wait_for(self._loaded.wait(), timeout=wait)
            except asyncio.TimeoutError:
                pass
        if self._agent is None:
            raise ModelUnavailable(failed=self._error is not None)
        return self._agent

    def forget(self, sender_id: str) -> None:
        """The person's rows are gone from the store: drop what is kept in memory too."""
        if self._trackers is not None:
            self._trackers.forget(sender_id)

    async def interrupt(self, sender_id: str, slots: dict[str, Any] | None = None) -> None:
        """Ends whatever flow the person was in, so an old question is not answered later;
        `slots` are set anew after the restart (which clears them)."""
        if self._agent is None:
            return  # nothing to interrupt: without a model no flow can be running
        from rasa.shared.core.events import ActionExecuted, Restarted, SlotSet

        store = self._agent.tracker_store
        tracker = await store.retrieve(sender_id)
        if tracker is None:
            return
        tracker.update(Restarted())
        for name, value in (slots or {}).items():
            tracker.update(SlotSet(name, value))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)

    async def _set_slots(self, agent: Agent, sender_id: str, slots: dict[str, Any]) -> None:
        """Slots the rest of the bot knows (what the person disclosed), so responses can vary by
        them (domain.yml's conditional variations). Written only when they changed."""
        from rasa.shared.core.events import SlotSet

        tracker = await agent.tracker_store.retrieve(sender_id)
        if tracker is None and not any(slots.values()):
            return
        if tracker is None:
            tracker = await agent.tracker_store.get_or_create_tracker(sender_id)
        changed = [SlotSet(k, v) for k, v in slots.items() if tracker.get_slot(k) != v]
        if changed:
            for event in changed:
                tracker.update(event)
            await agent.tracker_store.save(tracker)

    def start_reading(self, text: str) -> None:
        """Starts the embedding of a text that may reach the model, so it is computed while the
        safety screen and the flow checks run; `respond` then finds it ready or under way."""
        if self._agent is not None:
            task = asyncio.create_task(_prepare_embedding(text[:MAX_NLU_CHARS]))
            self._reading.add(task)
            task.add_done_callback(self._read)

    def _read(self, task: asyncio.Task) -> None:
        self._reading.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # `respond` computes it again, inline, and meets the error there if it persists.
            # Only the error's type: its message could quote the person's words.
            logger.warning("preparing an embedding failed: %s", type(task.exception()).__name__)

    async def respond(
        self, sender_id: str, text: str, wait: float = 0, slots: dict[str, Any] | None = None
    ) -> Turn:
        from rasa.core.channels.channel import UserMessage

        agent = await self._agent_or_raise(wait)
        if slots:
            await self._set_slots(agent, sender_id, slots)
        text = text[:MAX_NLU_CHARS]
        await _prepare_embedding(text)
        channel = _whole_message_channel()
        await agent.handle_message(UserMessage(text, channel, sender_id))
        parsed = self._trackers.latest_intents.pop(sender_id, {})
        actions = self._trackers.latest_actions.pop(sender_id, ())
        heard = parsed.get("intent") or {}
        return Turn(
            replies=[to_reply(m) for m in channel.messages],
            intent=heard.get("name"),
            confidence=float(heard.get("confidence") or 0.0),
            ranking=ranked(parsed.get("intent_ranking")),
            threads=ranked(parsed.get("threads")),
            actions=actions,
            entities={
                "/".join(filter(None, (e["entity"], e.get("role")))): str(e["value"])
                for e in parsed.get("entities") or []
            },
        )

    async def perform(
        self, sender_id: str, action: str, wait: float = 0, slots: dict[str, Any] | None = None
    ) -> Turn:
        """Says one response without a new message: a flow that asked something in between
        (which side are you on?) hands back, and the reply it was asked for follows. Rules
        keyed to the person's next words still see this reply as the last thing said."""
        agent = await self._agent_or_raise(wait)
        if slots:
            await self._set_slots(agent, sender_id, slots)
        channel = _whole_message_channel()
        await agent.execute_action(sender_id, action, channel, policy=None, confidence=1.0)
        await agent.execute_action(sender_id, "action_listen", channel, policy=None, confidence=1.0)
        self._trackers.latest_intents.pop(sender_id, None)
        self._trackers.latest_actions.pop(sender_id, None)
        return Turn(replies=[to_reply(m) for m in channel.messages], actions=(action,))


async def _prepare_embedding(text: str) -> None:
    """The sentence embedding is most of a turn's work; it is computed on the encoder's worker
    thread while the loop serves other chats, and Rasa's featurizer then finds it ready."""
    if text.startswith("/") or not text.strip():  # a payload: Rasa reads it without the NLU
        return
    from bot.model.encoder import shared_encoder
    from bot.model.sentences import units

    # Its sentences too: the classifier reads them for the message's other threads.
    await shared_encoder().embed(units(text))


def ranked(entries: list[dict] | None) -> tuple[tuple[str, float], ...]:
    """(name, confidence) pairs from the parse's intent_ranking or threads."""
    return tuple((e["name"], float(e["confidence"])) for e in entries or [])


def to_reply(message: dict[str, Any]) -> Reply:
    buttons = tuple(
        Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
        for b in message.get("buttons") or []
    )
    return Reply(
        text=message.get("text") or "", buttons=buttons, custom=message.get("custom") or {}
    )
