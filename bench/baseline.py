"""The usual way to serve the same model: `rasa run --enable-api` with its REST channel, and a
small bridge that relays each Telegram update to it over HTTP and sends back what it returns.

The bridge is its own process (`python -m bench.baseline --telegram ... --rasa ...`), as it
would be deployed. Like our bot it runs different chats concurrently (up to 64 at once, as
bot/turns.py does) and one chat's updates in order. It screens nothing and keeps no state:
Rasa holds the trackers in its default in-memory store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time

import aiohttp

from bench.fake_telegram import FakeTelegram
from bench.startup import LoggedProcess, quiet_env
from bot.settings import MODEL_PATH

MAX_CONCURRENT = 64
BRIDGE_READY = "Bridge polling"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Baseline:
    """The two processes: Rasa's HTTP server and the bridge in front of it."""

    def __init__(self, server: FakeTelegram) -> None:
        self.server = server
        self.port = free_port()
        self.rasa_url = f"http://127.0.0.1:{self.port}"
        self.rasa: LoggedProcess | None = None
        self.bridge: LoggedProcess | None = None
        self.started = time.monotonic()

    async def start(self, timeout: float = 240) -> None:
        self.started = time.monotonic()
        self.rasa = LoggedProcess(
            [
                sys.executable,
                "-m",
                "rasa",
                "run",
                "--enable-api",
                "--connector",
                "rest",
                "-m",
                str(MODEL_PATH),
                "--port",
                str(self.port),
                "--interface",
                "127.0.0.1",
            ],
            quiet_env(),
            {},
        )
        self.bridge = LoggedProcess(
            [
                sys.executable,
                "-m",
                "bench.baseline",
                "--telegram",
                self.server.base_url,
                "--token",
                self.server.token,
                "--rasa",
                self.rasa_url,
            ],
            quiet_env(),
            {"polling": BRIDGE_READY},
        )
        await self.bridge.wait_mark("polling", timeout=60)
        await self._wait_rasa(timeout)

    async def _wait_rasa(self, timeout: float) -> None:
        """Rasa answers /status only once the model is loaded."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.rasa.proc.poll() is not None:
                    raise RuntimeError("rasa run exited:\n" + "\n".join(self.rasa.tail))
                try:
                    async with session.get(f"{self.rasa_url}/status") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.25)
        raise TimeoutError("rasa run did not come up:\n" + "\n".join(self.rasa.tail))

    def memory(self) -> dict[str, dict[str, float]]:
        return {"rasa": self.rasa.memory(), "bridge": self.bridge.memory()}

    def stop(self) -> None:
        for process in (self.bridge, self.rasa):
            if process is not None:
                process.stop()


# --- the bridge process ------------------------------------------------------------------------


def _keyboard(buttons: list[dict]) -> dict | None:
    rows = [[{"text": b.get("title", ""), "callback_data": b.get("payload", "")}] for b in buttons]
    return {"inline_keyboard": rows} if rows else None


async def bridge(telegram: str, token: str, rasa: str) -> None:
    api = f"{telegram}{token}"
    webhook = f"{rasa}/webhooks/rest/webhook"
    locks: dict[int, asyncio.Lock] = {}
    slots = asyncio.Semaphore(MAX_CONCURRENT)
    tasks: set[asyncio.Task] = set()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def relay(chat: int, text: str) -> None:
            lock = locks.setdefault(chat, asyncio.Lock())
            async with slots, lock:
                async with session.post(
                    webhook, json={"sender": str(chat), "message": text}
                ) as response:
                    answers = await response.json()
                for answer in answers:
                    # A custom payload (our exercise menu, say) has no text: a real bridge
                    # would render it, so it is sent as JSON rather than dropped unanswered.
                    body_text = answer.get("text") or json.dumps(answer.get("custom") or answer)
                    body = {"chat_id": chat, "text": body_text}
                    markup = _keyboard(answer.get("buttons") or [])
                    if markup:
                        body["reply_markup"] = markup
                    async with session.post(f"{api}/sendMessage", json=body) as sent:
                        await sent.read()

        offset = 0
        print(BRIDGE_READY, file=sys.stderr, flush=True)
        while True:
            try:
                async with session.post(
                    f"{api}/getUpdates", json={"offset": offset, "timeout": 10}
                ) as response:
                    updates = (await response.json())["result"]
            except aiohttp.ClientError:
                await asyncio.sleep(0.5)
                continue
            for update in updates:
                offset = update["update_id"] + 1
                message = update.get("message") or {}
                if "text" in message:
                    task = asyncio.create_task(relay(message["chat"]["id"], message["text"]))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)


def main() -> None:
    parser = argparse.ArgumentParser(description="relay a Bot API server to Rasa's REST channel")
    parser.add_argument("--telegram", required=True, help="Bot API base URL ending in /bot")
    parser.add_argument("--token", required=True)
    parser.add_argument("--rasa", required=True, help="Rasa server URL")
    args = parser.parse_args()
    try:
        asyncio.run(bridge(args.telegram, args.token, args.rasa))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
