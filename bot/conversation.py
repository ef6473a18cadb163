"""The pipeline every channel shares: safety first, then the dialogue model.

Telegram (bot/telegram.py) and the console chat (bot/console.py) both call this, so they behave
the same and keep their state in the same store.
"""

from __future__ import annotations

import logging

from bot import safety
from bot.dialogue import Dialogue, ModelUnavailable, Reply
from bot.logs import user_tag
from bot.store import Store
from bot.texts import text

logger = logging.getLogger(__name__)

# How long a message waits for a model that is still loading before we say so.
MODEL_WAIT_SECONDS = 20.0


class Conversation:
    def __init__(self, store: Store, dialogue: Dialogue, model_wait: float = MODEL_WAIT_SECONDS):
        self.store = store
        self.dialogue = dialogue
        self.model_wait = model_wait

    async def start(self, user_id: int) -> list[Reply]:
        first = await self.store.touch_user(user_id)
        return [Reply(text("welcome" if first else "welcome_back"))]

    async def on_text(self, user_id: int, message: str) -> list[Reply]:
        """Free text typed by the person: screened for crisis before anything else."""
        await self.store.touch_user(user_id)
        category = safety.screen(message)
        if category is not None:
            logger.info("crisis reply (%s) for user %s", category, user_tag(user_id))
            return crisis_replies(category)
        return await self._dialogue(user_id, message)

    async def on_edit(self, user_id: int, message: str) -> list[Reply]:
        """An edit is usually a typo fix, so only a newly added crisis gets an answer."""
        category = safety.screen(message)
        return crisis_replies(category) if category else []

    async def on_payload(self, user_id: int, payload: str) -> list[Reply]:
        """A button tap: our own payload (an intent like "/affirm"), never the person's text."""
        await self.store.touch_user(user_id)
        return await self._dialogue(user_id, payload)

    async def _dialogue(self, user_id: int, message: str) -> list[Reply]:
        try:
            return await self.dialogue.respond(str(user_id), message, wait=self.model_wait)
        except ModelUnavailable as error:
            return [Reply(text("model_failed" if error.failed else "model_loading"))]


def crisis_replies(category: safety.Category) -> list[Reply]:
    return [Reply(text(f"crisis_{category}"))]
