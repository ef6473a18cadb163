"""Starts and stops the whole bot: store, model, Telegram application (polling or webhook)."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot import safety
from bot.conversation import MODEL_WAIT_SECONDS, Conversation
from bot.dialogue import Dialogue
from bot.flows.exercises import Exercises
from bot.nudges import POLL_SECONDS, DueLoop
from bot.settings import Settings
from bot.store import Store
from bot.telegram import announce_commands, build_application, cancel_pacers, deliver

if TYPE_CHECKING:
    from rasa.core.agent import Agent

logger = logging.getLogger(__name__)


class BotRunner:
    """One running bot. Tests pass an already loaded `agent` to skip the slow model load, or
    `load_model=False` to keep the bot in its model-still-loading state; `clock`, `tempo` and
    `due_interval` let them run a ten-minute wait or a minute of breathing in moments."""

    def __init__(
        self,
        settings: Settings,
        agent: Agent | None = None,
        poll_timeout: float = 10.0,
        rate_limit: bool = True,
        load_model: bool = True,
        model_wait: float = MODEL_WAIT_SECONDS,
        clock: Callable[[], float] = time.time,
        tempo: float = 1.0,
        due_interval: float = POLL_SECONDS,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._tempo = tempo
        self._due_interval = due_interval
        self._due: asyncio.Task | None = None
        self._agent = agent
        self._load_model = load_model
        self._model_wait = model_wait
        self._poll_timeout = poll_timeout
        self._rate_limit = rate_limit
        self.store: Store | None = None
        self.dialogue: Dialogue | None = None
        self.app = None
        self._loading: asyncio.Task | None = None
        self._screening: asyncio.Task | None = None

    async def start(self) -> None:
        started = time.monotonic()
        self.store = await Store.open(self.settings.db_path)
        # The safety rules compile in seconds: on a worker thread beside the model load, not on
        # the event loop when the first person writes.
        self._screening = asyncio.create_task(asyncio.to_thread(safety.warm_up))
        self.dialogue = Dialogue(self.store)
        if self._agent is not None:
            self.dialogue.use(self._agent)
        elif self._load_model:
            self._loading = asyncio.create_task(self.dialogue.load(self.settings.model_path))
        exercises = Exercises(self.store, tempo=self._tempo, clock=self._clock)
        conversation = Conversation(
            self.store, self.dialogue, model_wait=self._model_wait, exercises=exercises
        )
        self.app = build_application(self.settings, conversation, rate_limit=self._rate_limit)
        await self.app.initialize()
        await announce_commands(self.app)
        await self.app.start()
        app = self.app

        async def send(user_id: int, replies: list) -> None:
            await deliver(app, user_id, replies)

        # Exercises the bot was pacing when it stopped are offered again, once, at start.
        await DueLoop([exercises.interrupted], send).tick()
        self._due = asyncio.create_task(DueLoop([exercises.due], send, self._due_interval).run())
        if self.settings.webhook:
            await self.app.updater.start_webhook(
                listen="0.0.0.0",
                port=self.settings.webhook_port,
                url_path="telegram",
                webhook_url=self.settings.webhook_url,
                secret_token=self.settings.webhook_secret,
            )
        else:
            await self.app.updater.start_polling(poll_interval=0, timeout=self._poll_timeout)
        logger.info("Receiving updates after %.1f s", time.monotonic() - started)

    async def wait_model(self) -> None:
        if self._loading is not None:
            await self._loading
        if self._screening is not None:
            await self._screening

    async def stop(self) -> None:
        """Safe to call twice: tests stop a runner mid-test to simulate a restart."""
        app, self.app = self.app, None
        if self._due is not None:
            self._due.cancel()
        if app is not None:
            await cancel_pacers(app)
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        store, self.store = self.store, None
        if store is not None:
            await store.close()


async def serve_forever(settings: Settings, rate_limit: bool = True) -> int:
    """Runs until SIGINT/SIGTERM. `rate_limit=False` only for the benchmark of raw capacity."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = BotRunner(settings, rate_limit=rate_limit)
    started = time.monotonic()
    await runner.start()
    try:
        await runner.wait_model()
        if runner.dialogue.ready:
            logger.info("Ready: model loaded %.1f s after start", time.monotonic() - started)
        # What is loaded now lives as long as the process. Without this, each full collection
        # walked its half a million objects (320 ms with the event loop stopped, so the replies
        # of that moment were late); frozen, they are left out of every collection.
        gc.freeze()
        await stop.wait()
    finally:
        logger.info("Stopping")
        await runner.stop()
    return 0
