"""A nudge broadcast: 10,000 check-in reminders due in the same minute, claimed by the check-in
flow (bot/flows/checkin.py) through the bot's own DueLoop and
`deliver` into the outbox, and sent by its Sender (bot/nudges.py, bot/telegram.py,
bot/outbox.py) through python-telegram-bot to a fake Bot API.

With the limits on, the bot should run at Telegram's cap (about 30 messages a second) without
exceeding it; 10,000 at 30 a second take five and a half minutes, so the achieved rate is
measured over a fixed window after the first burst. With them off, all 10,000 go out and the raw
rate shows how much headroom the sending path has.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.fake_telegram import FakeTelegram
from bot import schedule as calendar
from bot.crypto import new_key
from bot.dialogue import Dialogue
from bot.nudges import DueLoop
from bot.replies import Reply
from bot.settings import Settings
from bot.store import Store

TOKEN = "123456789:NUDGE-token-abcdefghijklmnopqrstuvwxyz"
TELEGRAM_CAP = 30.0
FIRST_USER = 9_100_000
# The steady rate is measured after the first moments (queueing, the first window).
BURST_SECONDS = 2.0


async def _broadcast(
    db_path: Path, users: int, rate_limit: bool, window: float | None
) -> dict[str, float]:
    from bot.conversation import Conversation
    from bot.outbox import Sender
    from bot.pacing import ChatLimiter
    from bot.telegram import build_application, deliver, transmit

    server = FakeTelegram(TOKEN)
    await server.start()
    key = new_key()
    store = await Store.open(db_path, key)
    settings = Settings(
        token=TOKEN,
        base_url=server.base_url,
        db_path=db_path,
        data_key=key,
        webhook_url=None,
        webhook_port=8443,
        webhook_secret=None,
    )
    # No model: a nudge never reaches the dialogue, only the store and the Bot API.
    limiter = ChatLimiter() if rate_limit else ChatLimiter((), ())
    app = build_application(settings, Conversation(store, Dialogue(store)), store, limiter)
    await app.initialize()

    async def send_row(row: dict) -> int | None:
        return await transmit(app, row)

    sender = Sender(store, send_row, limiter)
    app.bot_data["wake_sender"] = sender.wake
    # The real scheduled path: every person's check-in reminder falls due in the same minute.
    conversation = app.bot_data["conversation"]
    zone, now = "Europe/Berlin", time.time()
    at = datetime.fromtimestamp(now - 60, ZoneInfo(zone)).strftime("%H:%M")
    occurrence = calendar.next_due(now - 120, zone, at, frozenset(range(7)))
    for i in range(users):
        await store.save_schedule(
            FIRST_USER + i,
            zone=zone,
            at=at,
            days="0123456",
            due_at=occurrence.due,
            due_day=occurrence.day.isoformat(),
        )

    async def send(user_id: int, replies: list[Reply]) -> None:
        await deliver(app, user_id, replies)

    async def all_sent() -> None:
        await DueLoop(conversation.flows, store, send).tick()
        while (await store.outbox_counts())["waiting"]:
            await asyncio.sleep(0.05)

    started = time.monotonic()
    sender.start()
    task = asyncio.create_task(all_sent())
    try:
        await asyncio.wait_for(asyncio.shield(task), window) if window else await task
    except asyncio.TimeoutError:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finished = time.monotonic()
    await sender.stop()
    await app.shutdown()
    await store.close()
    await server.stop()

    times = [c.at for c in server.calls if c.method == "sendMessage"]
    result = {
        "users": users,
        "sent": len(times),
        "seconds": round(finished - started, 2),
        "rate": round(len(times) / (finished - started), 1),
    }
    if rate_limit and times:
        # Sends counted over a fixed span, not first-to-last: the limiter lets a second's
        # sends go in bursts, and first-to-last would measure from a burst's start to another's.
        begin = times[0] + BURST_SECONDS
        if finished > begin + 1:
            steady = sum(1 for t in times if t >= begin)
            result["steady_rate"] = round(steady / (finished - begin), 1)
            result["share_of_cap"] = round(result["steady_rate"] / TELEGRAM_CAP, 3)
    return result


async def measure(users: int = 10_000, window: float = 25.0) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        limited = await _broadcast(Path(tmp) / "on.sqlite3", users, True, window)
        raw = await _broadcast(Path(tmp) / "off.sqlite3", users, False, None)
    return {"limiter_on": limited, "limiter_off": raw, "window_seconds": window}


if __name__ == "__main__":
    import json

    print(json.dumps(asyncio.run(measure()), indent=2))
