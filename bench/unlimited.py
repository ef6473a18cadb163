"""The bot as `python -m bot run` starts it, but with python-telegram-bot's rate limiter off.

The limiter (AIORateLimiter, on in production) lets at most 30 requests a second through for the
whole bot, Telegram's cap. With one to three replies per message it, not the bot, bounds the
load runs, and the `rasa run` bridge has no limiter: this process measures the bot's own
capacity, comparable with the bridge. Run by bench/run.py as `python -m bench.unlimited`.
"""

from __future__ import annotations

import asyncio
import sys

from bot.logs import configure_logging, quiet_environment
from bot.runner import serve_forever
from bot.settings import load_settings


def main() -> int:
    quiet_environment()
    settings = load_settings()
    configure_logging(secrets=[settings.token or ""])
    return asyncio.run(serve_forever(settings, rate_limit=False))


if __name__ == "__main__":
    sys.exit(main())
