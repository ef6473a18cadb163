"""A small fake Telegram Bot API on 127.0.0.1, for the end-to-end tests and the benchmarks.

The real python-telegram-bot client talks to it through `base_url`. It answers the methods the
bot calls, hands out queued updates through long-polling `getUpdates`, and records every call.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {
    "id": 777000111,
    "is_bot": True,
    "first_name": "Trust Companion",
    "username": "trust_companion_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


# A poll as an older self-hosted Bot API server sends it: python-telegram-bot 22 cannot parse it.
OLD_POLL = {
    "poll": {
        "id": "1",
        "question": "q",
        "options": [{"text": "a", "voter_count": 0}],
        "total_voter_count": 0,
        "is_closed": False,
    }
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    failed: bool = False  # answered with an error (fail()): Telegram did not deliver it


@dataclass
class Failure:
    """How the next call of a method fails: an HTTP error (429 with `retry_after`, a 5xx,
    a 400/403), or a `hang` of that many seconds (the client times out) before a 500."""

    status: int = 500
    retry_after: int | None = None
    hang: float = 0.0


class FakeTelegram:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self._updates: list[dict] = []
        self._redeliver: list[dict] = []
        self._new_update = asyncio.Condition()
        self._new_call = asyncio.Condition()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self.undeletable: set[int] = set()
        self._failures: dict[str, list[Failure]] = {}
        # Seconds each call (but getUpdates) takes to answer, as over a real network.
        self.latency = 0.0
        # When each update first left in a getUpdates response: the benchmarks measure latency
        # from the moment the bot had the update, not from when it was queued here.
        self.handed_out: dict[int, float] = {}
        # Called with every recorded call as it arrives, so a load generator can match replies
        # without scanning `calls`.
        self.listeners: list[Callable[[Call], None]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- server lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # --- what tests send -------------------------------------------------------------------

    def next_update_id(self) -> int:
        return next(self._update_ids)

    async def push(self, update: dict) -> dict:
        async with self._new_update:
            self._updates.append(update)
            self._new_update.notify_all()
        return update

    def fail(self, method: str, *failures: Failure) -> None:
        """The next calls of `method` fail as given, one failure a call, in order."""
        self._failures.setdefault(method, []).extend(failures)

    async def redeliver(self, update: dict) -> None:
        """Hands out an already confirmed update once more, as after a crash before confirming."""
        async with self._new_update:
            self._redeliver.append(update)
            self._new_update.notify_all()

    async def send_text(self, user_id: int, text: str, update_id: int | None = None) -> dict:
        return await self.push(self.message_update(user_id, {"text": text}, update_id))

    def message_update(
        self, user_id: int, content: dict, update_id: int | None = None, kind: str = "message"
    ) -> dict:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Test"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Test"},
            **content,
        }
        if "text" in content and content["text"].startswith("/"):
            command = content["text"].split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if kind == "edited_message":
            message["edit_date"] = int(time.time())
        return {"update_id": update_id or self.next_update_id(), kind: message}

    async def tap(self, user_id: int, message: dict, data: str) -> dict:
        """Taps an inline button of a message the bot sent."""
        update = {
            "update_id": self.next_update_id(),
            "callback_query": {
                "id": f"cb{next(self._message_ids)}",
                "from": {"id": user_id, "is_bot": False, "first_name": "Test"},
                "chat_instance": f"ci{user_id}",
                "data": data,
                "message": message,
            },
        }
        return await self.push(update)

    # --- what tests read -------------------------------------------------------------------

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[dict]:
        """What was delivered (calls answered with an error are left out)."""
        return [
            c.params
            for c in self.calls
            if c.method == method
            and not c.failed
            and (chat_id is None or int(c.params["chat_id"]) == chat_id)
        ]

    async def wait_for(
        self,
        method: str = "sendMessage",
        count: int = 1,
        chat_id: int | None = None,
        timeout: float = 30.0,
    ) -> list[dict]:
        """Waits until at least `count` calls of `method` (to `chat_id`) were recorded."""

        def enough() -> bool:
            return len(self.sent(chat_id, method)) >= count

        async with self._new_call:
            await asyncio.wait_for(self._new_call.wait_for(enough), timeout)
        return self.sent(chat_id, method)

    async def settle(self, quiet: float = 1.5, timeout: float = 30.0) -> None:
        """Waits until the bot made no call for `quiet` seconds (polls excluded). The default
        is longer than the second a chat's next turn may wait after its last (bot/turns.py)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            active = [c for c in self.calls if c.method != "getUpdates"]
            if not active or time.monotonic() - active[-1].at >= quiet:
                if not self._updates and not self._redeliver:
                    return
            await asyncio.sleep(0.05)
        raise TimeoutError("the bot kept talking")

    # --- the Bot API -----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await self._params(request)
        failures = self._failures.get(method)
        failure = failures.pop(0) if failures else None
        if method != "getUpdates":
            call = Call(method, params, failed=failure is not None)
            for listener in self.listeners:
                listener(call)
            async with self._new_call:
                self.calls.append(call)
                self._new_call.notify_all()
        if failure is not None:
            return await self._failed(failure)
        if self.latency and method != "getUpdates":
            await asyncio.sleep(self.latency)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return web.json_response({"ok": True, "result": True})
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _failed(failure: Failure) -> web.Response:
        if failure.hang:
            await asyncio.sleep(failure.hang)
        body: dict[str, Any] = {
            "ok": False,
            "error_code": failure.status,
            "description": {429: "Too Many Requests", 403: "Forbidden: bot was blocked"}.get(
                failure.status, "Internal Server Error"
            ),
        }
        if failure.retry_after is not None:
            body["parameters"] = {"retry_after": failure.retry_after}
        return web.json_response(body, status=failure.status)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            raw = await request.json()
        else:
            raw = dict(await request.post())
        params = {}
        for key, value in raw.items():
            if isinstance(value, web.FileField):  # an uploaded photo or document: its bytes
                params.setdefault("filenames", {})[key] = value.filename
                value = value.file.read()
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            params[key] = value
        return params

    async def _api_getMe(self, params: dict) -> dict:
        return BOT_USER

    async def _api_getUpdates(self, params: dict) -> list[dict]:
        """As on Telegram: an update is handed out until a later offset confirms it."""
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)

        def pending() -> list[dict]:
            return [u for u in self._updates if u["update_id"] >= offset]

        async with self._new_update:
            self._updates = pending()
            if not self._updates and not self._redeliver and timeout:
                try:
                    await asyncio.wait_for(
                        self._new_update.wait_for(lambda: pending() or self._redeliver), timeout
                    )
                except asyncio.TimeoutError:
                    pass
            batch, self._redeliver = (pending() + self._redeliver)[:limit], []
        now = time.monotonic()
        for update in batch:
            self.handed_out.setdefault(update["update_id"], now)
        return batch

    def _message(self, params: dict, **extra: Any) -> dict:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private", "first_name": "Test"},
            "from": BOT_USER,
            **extra,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _api_sendMessage(self, params: dict) -> dict:
        text = str(params["text"])
        if len(text) > 4096:
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"},
                status=400,
            )
        return self._message(params, text=text)

    async def _api_editMessageText(self, params: dict) -> dict:
        return self._message(params, text=str(params["text"]), edit_date=int(time.time()))

    async def _api_editMessageReplyMarkup(self, params: dict) -> dict:
        return self._message(params, text="", edit_date=int(time.time()))

    async def _api_sendPhoto(self, params: dict) -> dict:
        return self._message(
            params, photo=[{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
        )

    async def _api_sendDocument(self, params: dict) -> dict:
        return self._message(params, document={"file_id": "d", "file_unique_id": "d"})

    async def _api_deleteMessage(self, params: dict):
        if int(params["message_id"]) in self.undeletable:
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message can't be deleted",
                },
                status=400,
            )
        return True
