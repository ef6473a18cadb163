"""The bot as `python -m bot run` starts it, but with python-telegram-bot's rate limiter off.

The limiter (AIORateLimiter, on in production) lets at most 30 requests a second through for the
whole bot, Telegram's cap. With one to three replies per message it, not the bot, bounds the
load runs, and the `rasa run` bridge has no limiter: this process measures the bot's own
capacity, comparable with the bridge. Run by bench/run.py as `python -m bench.unlimited`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time

from bot.logs import configure_logging, quiet_environment
from bot.runner import BotRunner
from bot.settings import load_settings

logger = logging.getLogger("bot.runner")


async def serve(settings) -> int:
    """bot.runner.serve_forever, with `rate_limit=False`."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = BotRunner(settings, rate_limit=False)
    started = time.monotonic()
    await runner.start()
    try:
        await runner.wait_model()
        if runner.dialogue.ready:
            logger.info("Ready: model loaded %.1f s after start", time.monotonic() - started)
        await stop.wait()
    finally:
        await runner.stop()
    return 0


def main() -> int:
    quiet_environment()
    settings = load_settings()
    configure_logging(secrets=[settings.token or ""])
    return asyncio.run(serve(settings))


if __name__ == "__main__":
    sys.exit(main())
