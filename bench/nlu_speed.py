"""Where the time of one message goes, without HTTP or Telegram: the safety screen (the rules
alone; the whole screen with the crisis detector, on the event loop and end to end), NLU
`parse` alone, a whole dialogue turn with Rasa's in-memory tracker store (what `rasa run`
does), and the same turn through our Dialogue with trackers in SQLite.

Runs in its own process (`python -m bench.nlu_speed [count]`, one JSON object on stdout), so
loading the model does not weigh on the harness that generates load.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.load import held_out_messages
from bot.settings import MODEL_PATH, ROOT

SENDERS = 50  # turns spread over this many conversations, as the load runs do


def _rate(seconds: list[float]) -> dict[str, float]:
    total = sum(seconds)
    ordered = sorted(seconds)
    return {
        "count": len(seconds),
        "per_second": round(len(seconds) / total, 1),
        "mean_ms": round(total / len(seconds) * 1000, 2),
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
    }


async def _timed(texts: list[str], step) -> list[float]:
    times = []
    for index, message in enumerate(texts):
        started = time.perf_counter()
        await step(index, message)
        times.append(time.perf_counter() - started)
    return times


async def _measure(count: int) -> dict:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore

    from bot import safety
    from bot.crypto import new_key
    from bot.dialogue import Dialogue, load_agent
    from bot.store import Store

    messages = held_out_messages()
    turns = messages[:count]
    started = time.perf_counter()
    agent = load_agent(MODEL_PATH)
    load_seconds = time.perf_counter() - started
    safety.warm_up()
    for message in messages[:10]:  # first calls build TensorFlow graphs and caches
        await agent.parse_message(message)

    async def screen(_, message):
        safety.screen(message)

    from bot.model.encoder import shared_encoder
    from bot.model.sentences import units

    # The screen's own work on the event loop: the rules, the split into sentences and the
    # detector's scores. The embeddings are computed beforehand, as in the bot, where the
    # message's embedding is the one the model needs anyway and is started when it arrives.
    encoder = shared_encoder()
    vectors = {m: encoder.encode_many(units(m)) for m in messages}

    async def screen_on_loop(_, message):
        safety.assess_now(message, lambda units: vectors[message])

    # End to end, as a message meets it: sentence embeddings included (a batch on the
    # encoder's thread), each message's text new to the encoder.
    async def screen_whole(index, message):
        await safety.assess(f"{message} {index}")

    async def parse(_, message):
        await agent.parse_message(message)

    result = {
        "messages": len(messages),
        "model_load_seconds": round(load_seconds, 1),
        "safety_screen": _rate(await _timed(messages, screen)),
        "safety_screen_detector": _rate(await _timed(messages, screen_on_loop)),
        "safety_screen_end_to_end": _rate(await _timed(messages, screen_whole)),
        "nlu_parse": _rate(await _timed(messages, parse)),
    }

    # The same agent with the tracker store `rasa run` uses by default.
    ours = agent.tracker_store
    memory = FailSafeTrackerStore(InMemoryTrackerStore(agent.domain))
    agent.tracker_store = agent.processor.tracker_store = memory

    async def turn_in_memory(index, message):
        channel = CollectingOutputChannel()
        await agent.handle_message(UserMessage(message, channel, f"mem{index % SENDERS}"))

    result["turn_in_memory_trackers"] = _rate(await _timed(turns, turn_in_memory))
    agent.tracker_store = agent.processor.tracker_store = ours

    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "speed.sqlite3", new_key())
        dialogue = Dialogue(store)
        dialogue.use(agent)

        async def turn_sqlite(index, message):
            await dialogue.respond(str(index % SENDERS), message)

        result["turn_sqlite_trackers"] = _rate(await _timed(turns, turn_sqlite))
        await store.close()
    return result


def measure(count: int = 200, timeout: float = 600) -> dict:
    """Runs the measurement in a child process and returns its figures."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.nlu_speed", str(count)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"nlu_speed failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    from bot.logs import configure_logging, quiet_environment

    quiet_environment()
    configure_logging(level=30)
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(json.dumps(asyncio.run(_measure(count))))


if __name__ == "__main__":
    main()
