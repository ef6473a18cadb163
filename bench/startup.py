"""Start-up and memory of the real bot process: `python -m bot run` against a fake Bot API.

Prints seconds from process start to "receiving updates", to "model loaded", and to the first
reply to a message, plus the process's resident and peak memory. Run: .venv/bin/python -m
bench.startup
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.settings import ROOT
from tests.fake_telegram import FakeTelegram

TOKEN = "123456789:BENCH-token-abcdefghijklmnopqrstuvwxyz"


def memory_mib(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


async def main() -> None:
    server = FakeTelegram(TOKEN)
    await server.start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": server.base_url,
            "BOT_DB_PATH": str(Path(tmp) / "bench.sqlite3"),
        }
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        marks: dict[str, float] = {}

        async def watch_log() -> None:
            loop = asyncio.get_running_loop()
            while True:
                line = await loop.run_in_executor(None, proc.stderr.readline)
                if not line:
                    return
                if "Receiving updates" in line:
                    marks.setdefault("receiving updates", time.monotonic() - started)
                if "Ready: model loaded" in line:
                    marks.setdefault("model loaded", time.monotonic() - started)

        watcher = asyncio.create_task(watch_log())
        await server.wait_for("setMyCommands", timeout=120)
        await server.send_text(1, "it's been four hours since he texted and my chest is tight")
        await server.wait_for(chat_id=1, timeout=180)
        marks["first reply"] = time.monotonic() - started
        for _ in range(20):  # a little load, so the peak reflects real work
            await server.send_text(1, "i keep wanting to check her phone")
        await server.wait_for(chat_id=1, count=41, timeout=120)
        memory = memory_mib(proc.pid)
        proc.terminate()
        proc.wait(timeout=60)
        watcher.cancel()
    await server.stop()
    for name, seconds in marks.items():
        print(f"{name:>20}: {seconds:6.1f} s after start")
    print(f"{'RSS':>20}: {memory['VmRSS']:6.0f} MiB")
    print(f"{'peak RSS':>20}: {memory['VmHWM']:6.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
