"""Updates in: long polling driven by us, or a webhook. Either way an update is in the inbox
table before Telegram is told it arrived.

python-telegram-bot's own poller asks for the next batch as soon as it has queued the last one
in memory, which confirms that batch to Telegram: a crash then lost it for good. Here the next
`getUpdates` (whose offset is the confirmation) is sent only once the batch is written, and the
webhook answers 200 only once the update is written.

Updates are stored as Telegram sent them and parsed later, one by one (bot/telegram.py), so an
update the library cannot parse is one skipped row, not a poller that fails forever.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import warnings
from collections.abc import Callable

from aiohttp import web
from telegram.error import TelegramError
from telegram.warnings import PTBUserWarning

from bot.logs import Every
from bot.store import Store

logger = logging.getLogger(__name__)

# Telegram's own maximum per getUpdates call.
BATCH = 100
RETRY_SECONDS = (1, 2, 5, 10, 30)
MAX_BODY = 1024 * 1024  # bytes; a real update is a few KB
WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

Row = tuple[int, int, str, str]
OnNew = Callable[[list[int]], None]


def rows_of(updates: list) -> list[Row]:
    """(update_id, chat_id, kind, raw JSON) for each update that has an id; the chat is 0 when
    the update belongs to none (it is still recorded, and its turn does nothing)."""
    rows = []
    for update in updates:
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            continue  # nothing to record it by (Telegram always gives one)
        kind = next((key for key in update if key != "update_id"), "unknown")
        rows.append((update["update_id"], _chat_id(update.get(kind)), kind, json.dumps(update)))
    return rows


def _chat_id(body) -> int:
    if not isinstance(body, dict):
        return 0
    for holder in (body, body.get("message")):
        if isinstance(holder, dict):
            chat = holder.get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return chat["id"]
    sender = body.get("from") or body.get("user")
    if isinstance(sender, dict) and isinstance(sender.get("id"), int):
        return sender["id"]
    return 0


class Poller:
    def __init__(self, bot, store: Store, on_new: OnNew, timeout: float = 10.0) -> None:
        self.bot = bot
        self.store = store
        self.on_new = on_new
        self.timeout = timeout
        self._log = Every(60.0)

    async def run(self) -> None:
        offset: int | None = None
        failures = 0
        while True:
            try:
                updates = await self._fetch(offset)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - network, 5xx, 409, an unreadable body
                wait = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                if self._log.now():
                    logger.warning(
                        "getUpdates failed (%s); trying again in %s s (%d similar left out)",
                        type(error).__name__,
                        wait,
                        self._log.skipped,
                    )
                await asyncio.sleep(wait)
                continue
            rows = rows_of(updates)
            try:
                chats = await self.store.receive(rows)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the disk, say: the same batch comes again
                failures += 1
                if self._log.now():
                    logger.error("could not store updates: %s", type(error).__name__)
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                continue  # the offset stays, so Telegram hands the batch out again
            if rows:
                offset = max(row[0] for row in rows) + 1
            self.on_new(chats)

    async def _fetch(self, offset: int | None) -> list:
        params = {"timeout": int(self.timeout), "limit": BATCH}
        if offset is not None:
            params["offset"] = offset
        with warnings.catch_warnings():
            # The raw call on purpose: Bot.get_updates parses every update, and one it cannot
            # parse would fail the whole batch.
            warnings.simplefilter("ignore", PTBUserWarning)
            result = await self.bot.do_api_request(
                "get_updates", api_kwargs=params, read_timeout=self.timeout + 5
            )
        if not isinstance(result, list):
            raise TelegramError("getUpdates did not return a list")
        return result


class WebhookServer:
    """Telegram posts each update here (behind a reverse proxy that terminates TLS)."""

    def __init__(self, store: Store, on_new: OnNew, secret: str, listen: str, port: int) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret")
        self.store = store
        self.on_new = on_new
        self.secret = secret.encode()
        self.listen = listen
        self.port = port
        self._runner: web.AppRunner | None = None
        self._log = Every(60.0)

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(WEBHOOK_PATH, self._on_post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        if not self.port:
            self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - tests use port 0

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_post(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            return web.Response(status=403)
        if request.content_length is None or request.content_length > MAX_BODY:
            return web.Response(status=413)  # refused before a byte of the body is read
        try:
            update = json.loads(await request.read())
        except (ValueError, web.HTTPRequestEntityTooLarge):
            # Telegram would resend a refused update forever; one it cannot fix is dropped.
            if self._log.now():
                logger.warning("unreadable webhook body dropped (%d more)", self._log.skipped)
            return web.Response(status=200)
        chats = await self.store.receive(rows_of([update]))
        self.on_new(chats)
        return web.Response(status=200)
