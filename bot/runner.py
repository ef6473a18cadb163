"""Starts and stops the whole bot: store, model, intake (polling or webhook), turns, sender."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from telegram import Update

from bot import safety
from bot.conversation import MODEL_WAIT_SECONDS, Conversation
from bot.dialogue import Dialogue
from bot.flows import Options
from bot.intake import WEBHOOK_PATH, Poller, WebhookServer
from bot.nudges import POLL_SECONDS, DueLoop
from bot.outbox import Sender
from bot.pacing import ChatLimiter
from bot.settings import Settings
from bot.store import Store
from bot.telegram import (
    announce_commands,
    build_application,
    cancel_pacers,
    deliver,
    handle_turn,
    transmit,
)
from bot.turns import HOLD_SECONDS, TURN_GAP_SECONDS, Turns

if TYPE_CHECKING:
    from bot.dialogue import Agent  # Rasa's, named where Rasa is (bot/dialogue.py)

logger = logging.getLogger(__name__)


# A supervisor's stop timeout is commonly 10 s; the whole stop stays well inside it.
STOP_TURN_SECONDS = 2.0
STOP_SEND_SECONDS = 1.0
STOP_DUE_SECONDS = 1.0


class BotRunner:
    """One running bot. Tests pass an already loaded `agent` to skip the slow model load, or
    `load_model=False` to keep the bot in its model-still-loading state; `clock`, `tempo` and
    `due_interval` let them run a ten-minute wait or a minute of breathing in moments.
    `rate_limit=False` lifts Telegram's limits, only for the benchmark of raw capacity; `limiter`
    replaces them, and `turn_gap`/`turn_hold` the pause between a chat's turns (bot/turns.py):
    tests run both scaled down."""

    def __init__(
        self,
        settings: Settings,
        agent: Agent | None = None,
        poll_timeout: float = 10.0,
        rate_limit: bool = True,
        limiter: ChatLimiter | None = None,
        turn_gap: float = TURN_GAP_SECONDS,
        turn_hold: float = HOLD_SECONDS,
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
        self._due_loop: DueLoop | None = None
        self._agent = agent
        self._load_model = load_model
        self._model_wait = model_wait
        self._poll_timeout = poll_timeout
        self._turn_gap, self._turn_hold = turn_gap, turn_hold
        self._limiter = limiter or (ChatLimiter() if rate_limit else ChatLimiter((), ()))
        self.store: Store | None = None
        self.dialogue: Dialogue | None = None
        self.app = None
        self.turns: Turns | None = None
        self.sender: Sender | None = None
        self.webhook: WebhookServer | None = None
        self._polling: asyncio.Task | None = None
        self._loading: asyncio.Task | None = None
        self._screening: asyncio.Task | None = None

    async def start(self) -> None:
        started = time.monotonic()
        self.store = await Store.open(self.settings.db_path, self.settings.data_key)
        # The safety rules compile in seconds: on a worker thread beside the model load, not on
        # the event loop when the first person writes.
        self._screening = asyncio.create_task(asyncio.to_thread(safety.warm_up))
        self.dialogue = Dialogue(self.store)
        if self._agent is not None:
            self.dialogue.use(self._agent)
        elif self._load_model:
            self._loading = asyncio.create_task(self.dialogue.load(self.settings.model_path))
        options = Options.kept_as(self.settings, clock=self._clock, tempo=self._tempo)
        conversation = Conversation(
            self.store, self.dialogue, model_wait=self._model_wait, options=options
        )
        limiter = self._limiter
        self.app = app = build_application(self.settings, conversation, self.store, limiter)
        await app.initialize()
        await announce_commands(app)

        async def send_row(row: dict) -> int | None:
            return await transmit(app, row)

        self.sender = Sender(self.store, send_row, limiter)
        app.bot_data["wake_sender"] = self.sender.wake
        self.sender.start()

        async def turn(chat_id: int, rows: list) -> int:
            return await handle_turn(app, chat_id, rows)

        self.turns = Turns(self.store, turn, hold=self._turn_hold, gap=self._turn_gap)
        # What a stop or a crash left unfinished goes first, in each chat's order.
        resumed = await self.turns.resume()

        async def send(user_id: int, replies: list) -> None:
            await deliver(app, user_id, replies)

        due = DueLoop(
            conversation.flows, self.store, send, self._due_interval, self._clock, sweep=options
        )
        # What a stop interrupted (an exercise being paced) is offered again, once, at start.
        await due.resume()
        self._due_loop = due
        self._due = asyncio.create_task(due.run())
        if self.settings.webhook:
            self.webhook = WebhookServer(
                self.store,
                self.turns.wake,
                self.settings.webhook_secret or "",
                self.settings.webhook_listen,
                self.settings.webhook_port,
            )
            await self.webhook.start()
            await app.bot.set_webhook(
                self.settings.webhook_url.rstrip("/") + WEBHOOK_PATH
                if not self.settings.webhook_url.endswith(WEBHOOK_PATH)
                else self.settings.webhook_url,
                secret_token=self.settings.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            await app.bot.delete_webhook()
            poller = Poller(app.bot, self.store, self.turns.wake, self._poll_timeout)
            self._polling = asyncio.create_task(poller.run())
        logger.info(
            "Receiving updates after %.1f s (%d chats resumed)",
            time.monotonic() - started,
            resumed,
        )

    async def wait_model(self) -> None:
        if self._loading is not None:
            await self._loading
        if self._screening is not None:
            await self._screening

    async def stop(self) -> None:
        """Stops taking updates, lets the turn in progress finish (briefly), and leaves the rest
        in the inbox and outbox for the next start. Safe to call twice: tests stop a runner
        mid-test to simulate a restart."""
        app, self.app = self.app, None
        if self._due is not None:
            # The due loop finishes the message it is queueing rather than losing it.
            self._due_loop.stop()
            await asyncio.wait([self._due], timeout=STOP_DUE_SECONDS)
        for task in (self._polling, self._due):
            if task is not None:
                task.cancel()
        await asyncio.gather(
            *(t for t in (self._polling, self._due) if t is not None), return_exceptions=True
        )
        self._polling = self._due = None
        if self.webhook is not None:
            await self.webhook.stop()
            self.webhook = None
        if self.turns is not None:
            await self.turns.stop(STOP_TURN_SECONDS)
        if self.sender is not None:
            await self.sender.stop(STOP_SEND_SECONDS)
        if app is not None:
            await cancel_pacers(app)
            await app.shutdown()
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        store, self.store = self.store, None
        if store is not None:
            await store.close()


def _one_blas_thread() -> None:
    """The sentence encoder runs on its own thread beside the event loop (bot/model/encoder.py),
    so the loop's small matrix products (the classifiers' scores) keep to one core: with OpenBLAS
    free to use both, each waited for the core the encoder held (a 384 x 30 product went from
    4.5 to 61 µs). Only libraries already loaded are limited, hence after the model."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


async def serve_forever(settings: Settings, rate_limit: bool = True) -> int:
    """Runs until SIGINT/SIGTERM. `rate_limit=False` only for the benchmark of raw capacity."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = BotRunner(settings, rate_limit=rate_limit)
    started = time.monotonic()
    await runner.start()
    stopping = asyncio.create_task(stop.wait())
    try:
        loading = asyncio.create_task(runner.wait_model())
        await asyncio.wait([loading, stopping], return_when=asyncio.FIRST_COMPLETED)
        if loading.done() and runner.dialogue.ready:
            logger.info("Ready: model loaded %.1f s after start", time.monotonic() - started)
            # What is loaded now lives as long as the process. Without this, each full
            # collection walked its half a million objects (320 ms with the event loop stopped,
            # so the replies of that moment were late); frozen, they are left out of every one.
            gc.freeze()
            _one_blas_thread()
        await stopping
    finally:
        logger.info("Stopping")
        await runner.stop()
        loaded = runner.dialogue is None or runner.dialogue.ready or loading.done()
    if not loaded:
        # The model's loader thread cannot be interrupted, and the interpreter would wait for
        # it at exit; everything worth keeping is in the store, which is closed.
        logging.shutdown()
        os._exit(0)
    return 0
