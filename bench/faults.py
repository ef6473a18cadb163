"""Faults, tried from outside: the real `python -m bot run` against a fake Bot API that fails on
demand, killed with SIGKILL, stopped with SIGTERM. Prints one table (`make bench-faults`).

What each row checks is what a person would notice: a message never answered, an answer twice or
half of one, an apology instead of an answer, a crisis reply stuck behind someone else's
backlog, a log that fills the disk, or more messages than Telegram allows.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import signal
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.fake_telegram import OLD_POLL, Failure, FakeTelegram
from bench.load import held_out_messages
from bench.startup import TOKEN, LoggedProcess, start_bot

FIRST_CHAT = 7_100_000
CHATS, PER_CHAT = 50, 4
# Replies delivered before the kill. Texts waiting together in a chat are one turn, so the burst
# of 200 gets about 50 to 100 replies: early, middle and late.
KILL_POINTS = (5, 30, 55)
SENDS = ("sendMessage", "editMessageText", "editMessageReplyMarkup")
CRISIS = "i have the pills in my hand right now and i want to take them all"


def log(message: str) -> None:
    print(f"[faults] {message}", file=sys.stderr, flush=True)


def most_in_window(times: list[float], span: float) -> int:
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + span) - i for i, t in enumerate(ordered)), default=0
    )


def limits(server: FakeTelegram) -> dict:
    """Sends as the fake server saw them arrive: overall per second, per chat per 1 s / 20 s."""
    calls = [c for c in server.calls if c.method in SENDS and not c.failed]
    by_chat: dict[int, list[float]] = defaultdict(list)
    for call in calls:
        by_chat[int(call.params["chat_id"])].append(call.at)
    return {
        "overall_1s": most_in_window([c.at for c in calls], 1.0),
        "chat_1s": max((most_in_window(t, 1.0) for t in by_chat.values()), default=0),
        "chat_20s": max((most_in_window(t, 20.0) for t in by_chat.values()), default=0),
    }


def db_state(db_path: Path) -> dict:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        waiting = db.execute("SELECT COUNT(*) FROM inbox WHERE done_at IS NULL").fetchone()[0]
        unsent = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed IS NULL"
        ).fetchone()[0]
        sent = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE method = 'sendMessage' AND sent_at IS NOT NULL"
        ).fetchone()[0]
    return {"inbox_waiting": waiting, "outbox_waiting": unsent, "sent_rows": sent}


async def until(check, timeout: float, step: float = 0.2) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise TimeoutError("the bot did not get there in time")
        await asyncio.sleep(step)
    return time.monotonic() - started


async def drained(server: FakeTelegram, db_path: Path, timeout: float = 240) -> None:
    def done() -> bool:
        state = db_state(db_path)
        return not state["inbox_waiting"] and not state["outbox_waiting"]

    await until(done, timeout)
    await server.settle(quiet=2.0, timeout=timeout)


async def ready(server: FakeTelegram, db_path: Path) -> LoggedProcess:
    bot = start_bot(server, db_path)
    await bot.wait_mark("model loaded", timeout=240)
    return bot


async def burst(server: FakeTelegram, chats: int, per_chat: int, first: int = FIRST_CHAT) -> None:
    messages = held_out_messages()
    for round_ in range(per_chat):
        for chat in range(chats):
            text = messages[(chat * per_chat + round_) % len(messages)]
            await server.send_text(first + chat, text)


def delivered(server: FakeTelegram, first: int, chats: int) -> dict[int, int]:
    counts = {first + i: 0 for i in range(chats)}
    for params in server.sent():
        chat = int(params["chat_id"])
        if chat in counts:
            counts[chat] += 1
    return counts


async def kill_run(point: int) -> dict:
    """A burst of 200 from 50 chats; SIGKILL once `point` replies arrived; restart."""
    server = FakeTelegram(TOKEN)
    await server.start()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "faults.sqlite3"
        bot = await ready(server, db_path)
        await burst(server, CHATS, PER_CHAT)
        await until(lambda: len(server.sent()) >= point, 120, step=0.005)
        os.kill(bot.pid, signal.SIGKILL)
        bot.proc.wait()
        at_kill = len(server.sent())
        bot = await ready(server, db_path)
        try:
            await drained(server, db_path)
        finally:
            bot.stop()
        state = db_state(db_path)
    await server.stop()
    counts = delivered(server, FIRST_CHAT, CHATS)
    return {
        "killed_after": at_kill,
        "chats_answered": sum(1 for n in counts.values() if n),
        "unfinished_updates": state["inbox_waiting"],
        "unsent_replies": state["outbox_waiting"],
        "duplicates": len(server.sent()) - state["sent_rows"],
        "limits": limits(server),
    }


async def faults_run() -> dict:
    """One bot: failing sends, then a backlog, an unreadable update and a flood."""
    server = FakeTelegram(TOKEN)
    await server.start()
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "faults.sqlite3"
        bot = await ready(server, db_path)
        try:
            results.update(await failing_sends(server))
            results.update(await backlog_then_crisis(server))
            results.update(await unreadable_update(server, bot))
            results.update(await flood(server))
            results["limits"] = limits(server)
        finally:
            bot.stop()
    await server.stop()
    return results


async def failing_sends(server: FakeTelegram) -> dict:
    """20 people write while the next sends fail: a 429 for 30 s, three 5xx, two timeouts."""
    server.fail(
        "sendMessage",
        Failure(429, retry_after=30),
        Failure(500),
        Failure(502),
        Failure(503),
        Failure(hang=8.0),
        Failure(hang=8.0),
    )
    first, count = FIRST_CHAT + 10, 20
    started = time.monotonic()
    await burst(server, count, 1, first)
    await until(lambda: all(delivered(server, first, count).values()), 180)
    await server.settle(quiet=3.0, timeout=120)
    return {
        "failing_sends_all_arrived_s": round(time.monotonic() - started, 1),
        "failing_sends_failed_calls": sum(1 for c in server.calls if c.failed),
        "failing_sends_apologies": sum(1 for p in server.sent() if "went wrong" in p["text"]),
    }


async def backlog_then_crisis(server: FakeTelegram) -> dict:
    backlog, other = FIRST_CHAT, FIRST_CHAT + 1
    for index in range(400):
        await server.send_text(backlog, f"sorry one more thing {index}")
    update = await server.send_text(other, CRISIS)
    [reply] = (await server.wait_for(chat_id=other, timeout=60))[:1]
    arrived = next(c.at for c in server.calls if c.method == "sendMessage" and c.params is reply)
    return {
        "crisis_after_backlog_ms": round(
            (arrived - server.handed_out[update["update_id"]]) * 1000, 1
        ),
        "crisis_reply_first": "danger" in reply["text"],
    }


async def unreadable_update(server: FakeTelegram, bot: LoggedProcess) -> dict:
    before = bot.log_bytes
    good = FIRST_CHAT + 2
    await server.send_text(good, "hello there")
    await server.push({"update_id": server.next_update_id(), **OLD_POLL})
    await server.send_text(good + 1, "thank you so much")
    await server.wait_for(chat_id=good, timeout=60)
    await server.wait_for(chat_id=good + 1, timeout=60)
    await asyncio.sleep(3.0)  # time for a poller stuck on it to fill the log
    return {"log_bytes_around_poison": bot.log_bytes - before}


async def flood(server: FakeTelegram) -> dict:
    """30 messages in 3 s from one person (while the backlog above is still being answered)."""
    chat = FIRST_CHAT + 4
    for index in range(30):
        await server.send_text(chat, f"hello?? are you there {index}")
        await asyncio.sleep(0.1)

    def quiet() -> bool:
        times = [c.at for c in server.calls if c.method == "sendMessage" and _to(c, chat)]
        return bool(times) and time.monotonic() - times[-1] > 5.0

    await until(quiet, 120)
    return {"flood_answers": len(server.sent(chat))}


def _to(call, chat: int) -> bool:
    return int(call.params["chat_id"]) == chat


async def sigterm_run(queued: int = 600) -> dict:
    server = FakeTelegram(TOKEN)
    await server.start()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "faults.sqlite3"
        bot = await ready(server, db_path)
        await burst(server, queued, 1)

        def stored() -> bool:
            with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
                return db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0] >= queued

        await until(stored, 60, step=0.05)
        stopping = time.monotonic()
        bot.proc.send_signal(signal.SIGTERM)
        await asyncio.get_running_loop().run_in_executor(None, bot.proc.wait)
        exit_seconds = time.monotonic() - stopping
        left = db_state(db_path)
        bot = await ready(server, db_path)
        try:
            await drained(server, db_path)
        finally:
            bot.stop()
    await server.stop()
    counts = delivered(server, FIRST_CHAT, queued)
    return {
        "exit_seconds": round(exit_seconds, 2),
        "left_for_restart": left["inbox_waiting"],
        "chats_answered": sum(1 for n in counts.values() if n),
        "limits": limits(server),
    }


def table(results: dict) -> str:
    rows = []
    for point, run in zip(KILL_POINTS, results["kills"], strict=True):
        rows.append(
            (
                f"kill -9 after {run['killed_after']} replies (aimed at {point}), restart",
                f"{run['chats_answered']}/{CHATS} chats answered, "
                f"{run['unfinished_updates']} updates and {run['unsent_replies']} replies "
                f"left, {run['duplicates']} duplicate(s)",
                run["chats_answered"] == CHATS
                and not run["unfinished_updates"]
                and not run["unsent_replies"]
                and run["duplicates"] <= 1,
            )
        )
    f = results["faults"]
    rows += [
        (
            "429 (30 s), three 5xx, two timeouts: 20 answers",
            f"all arrived, the last after {f['failing_sends_all_arrived_s']} s; "
            f"{f['failing_sends_failed_calls']} failed calls, "
            f"{f['failing_sends_apologies']} apologies",
            f["failing_sends_apologies"] == 0 and f["failing_sends_failed_calls"] == 6,
        ),
        (
            "400 queued from one chat, then a crisis from another",
            f"crisis reply after {f['crisis_after_backlog_ms']} ms",
            f["crisis_after_backlog_ms"] <= 500 and f["crisis_reply_first"],
        ),
        (
            "an unreadable update between two good ones",
            f"both answered, {f['log_bytes_around_poison']} bytes of log",
            f["log_bytes_around_poison"] < 10_000,
        ),
        (
            "30 messages in 3 s from one person",
            f"{f['flood_answers']} answers",
            1 <= f["flood_answers"] <= 10,
        ),
    ]
    s = results["sigterm"]
    rows.append(
        (
            "SIGTERM with 600 queued, restart",
            f"exit in {s['exit_seconds']} s ({s['left_for_restart']} left), "
            f"{s['chats_answered']}/600 answered",
            s["exit_seconds"] <= 5 and s["chats_answered"] == 600,
        )
    )
    every = [run["limits"] for run in results["kills"]] + [f["limits"], s["limits"]]
    worst = {key: max(lim[key] for lim in every) for key in every[0]}
    rows.append(
        (
            "sends at the server, worst of all runs",
            f"{worst['overall_1s']} in 1 s overall; one chat: {worst['chat_1s']} in 1 s, "
            f"{worst['chat_20s']} in 20 s",
            worst["overall_1s"] <= 30 and worst["chat_1s"] <= 3 and worst["chat_20s"] <= 20,
        )
    )
    width = max(len(r[0]) for r in rows)
    lines = [f"{'fault':<{width}}  {'result':<70}  met"]
    lines += [
        f"{name:<{width}}  {figure:<70}  {'yes' if ok else 'NO'}" for name, figure, ok in rows
    ]
    return "\n".join(lines)


async def measure() -> dict:
    kills = []
    for point in KILL_POINTS:
        log(f"burst and kill -9 after {point} replies")
        kills.append(await kill_run(point))
        log(str(kills[-1]))
    log("backlog, unreadable update, flood, failing sends")
    faults = await faults_run()
    log(str(faults))
    log("SIGTERM with 600 queued")
    sigterm = await sigterm_run()
    log(str(sigterm))
    return {"kills": kills, "faults": faults, "sigterm": sigterm}


def main() -> int:
    results = asyncio.run(measure())
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
