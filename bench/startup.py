"""Start-up and memory of the real bot process: `python -m bot run` against a fake Bot API.

Prints seconds from process start to "receiving updates", to "model loaded", and to the first
reply to a message, plus the process's resident and peak memory. Run: .venv/bin/python -m
bench.startup (`python -m bot bench` uses the same process control for its load runs).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.fake_telegram import FakeTelegram
from bot.settings import ROOT

TOKEN = "123456789:BENCH-token-abcdefghijklmnopqrstuvwxyz"
FIRST_MESSAGE = "it's been four hours since he texted and my chest is tight"
STARTUP_USER = 1


def memory_mib(pid: int) -> dict[str, float]:
    """VmRSS now and VmHWM, the peak resident set since the process started."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def quiet_env() -> dict[str, str]:
    """The variables bot/logs.py sets before Rasa loads, for processes that are not ours."""
    return {
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "LOG_LEVEL_LIBRARIES": "ERROR",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONWARNINGS": "ignore",
    }


class LoggedProcess:
    """A child process whose stderr is watched for marker lines (and kept for a post-mortem)."""

    def __init__(self, args: list[str], env: dict[str, str], markers: dict[str, str]) -> None:
        self.markers = markers
        self.marks: dict[str, float] = {}
        self.tail: list[str] = []
        self.log_bytes = 0
        self._seen = threading.Condition()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.log_bytes += len(line.encode())
            self.tail = (self.tail + [line.rstrip()])[-40:]
            for name, marker in self.markers.items():
                if marker in line and name not in self.marks:
                    with self._seen:
                        self.marks[name] = time.monotonic() - self.started
                        self._seen.notify_all()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def memory(self) -> dict[str, float]:
        return memory_mib(self.proc.pid)

    async def wait_mark(self, name: str, timeout: float) -> float:
        def wait() -> bool:
            with self._seen:
                return self._seen.wait_for(
                    lambda: name in self.marks or self.proc.poll() is not None, timeout
                )

        await asyncio.get_running_loop().run_in_executor(None, wait)
        if name not in self.marks:
            raise RuntimeError(
                f"{name!r} not seen (exit code {self.proc.poll()}); last log lines:\n"
                + "\n".join(self.tail)
            )
        return self.marks[name]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _data_key(db_path: Path) -> str:
    """One key per database, kept beside it: a restarted bot must open what it wrote."""
    from bot.crypto import new_key

    keyfile = db_path.with_name(db_path.name + ".key")
    if not keyfile.exists():
        keyfile.write_text(new_key())
    return keyfile.read_text()


def start_bot(server: FakeTelegram, db_path: Path, limiter: bool = True) -> LoggedProcess:
    """`python -m bot run` as a user starts it, pointed at the fake server; without the rate
    limiter, the same runner through bench/unlimited.py."""
    env = {
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_BASE_URL": server.base_url,
        "BOT_DB_PATH": str(db_path),
        "BOT_DATA_KEY": _data_key(db_path),
    }
    command = ["bot", "run"] if limiter else ["bench.unlimited"]
    return LoggedProcess(
        [sys.executable, "-m", *command],
        env,
        {"receiving updates": "Receiving updates", "model loaded": "Ready: model loaded"},
    )


async def first_reply(server: FakeTelegram, started: float, loading_text: str) -> dict:
    """Seconds from start to the first reply, and to the first reply from the model (before
    the model is ready the bot answers that it is still loading; a person would write again)."""
    marks: dict[str, float] = {}
    sent = 0
    while "first model reply" not in marks:
        await server.send_text(STARTUP_USER, FIRST_MESSAGE)
        sent += 1
        replies = await server.wait_for(chat_id=STARTUP_USER, count=sent, timeout=240)
        now = time.monotonic() - started
        marks.setdefault("first reply", now)
        if replies[-1]["text"] != loading_text:
            marks["first model reply"] = now
        else:
            await asyncio.sleep(1.0)
    return marks


async def main() -> None:
    from bot.texts import text

    server = FakeTelegram(TOKEN)
    await server.start()
    with tempfile.TemporaryDirectory() as tmp:
        bot = start_bot(server, Path(tmp) / "bench.sqlite3")
        try:
            await bot.wait_mark("receiving updates", timeout=120)
            marks = {**bot.marks, **await first_reply(server, bot.started, text("model_loading"))}
            for _ in range(20):  # a little load, so the peak reflects real work
                await server.send_text(STARTUP_USER, "i keep wanting to check her phone")
            await server.settle(quiet=2.0, timeout=120)
            marks.update(bot.marks)
            memory = bot.memory()
        finally:
            bot.stop()
    await server.stop()
    for name, seconds in marks.items():
        print(f"{name:>20}: {seconds:6.1f} s after start")
    print(f"{'RSS':>20}: {memory['VmRSS']:6.0f} MiB")
    print(f"{'peak RSS':>20}: {memory['VmHWM']:6.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
