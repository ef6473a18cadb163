"""Command line: train, run, chat, classify, bench (see design.md, "Command-line contract")."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from bot.crypto import KEY_HELP, DataKeyError
from bot.logs import configure_logging, quiet_environment
from bot.settings import ROOT, SettingsError, load_settings
from bot.store import StoreError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train_p = sub.add_parser("train", help="train the Rasa model if its inputs changed")
    train_p.add_argument("--force", action="store_true", help="train even if nothing changed")
    sub.add_parser("run", help="run the Telegram bot (the console chat when no token is set)")
    sub.add_parser("chat", help="talk to the bot in this terminal")
    sub.add_parser("classify", help="one message per line in, one JSON object per line out")
    sub.add_parser("test-stories", help="run the Rasa test stories; fails on any wrong prediction")
    sub.add_parser("eval", help="5-fold NLU cross-validation; writes reports/ and docs/quality.md")
    sub.add_parser("bench", add_help=False, help="benchmarks beside `rasa run` (bench --help)")
    key_p = sub.add_parser("data-key", help="print a new BOT_DATA_KEY (or, --ensure, write one)")
    key_p.add_argument(
        "--ensure", action="store_true", help="write a new key to .env when none is set"
    )
    sub.add_parser("rotate-key", help="re-encrypt all stored data under the newest key")
    # The harness lives in bench/, beside the package, and owns its options.
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "bench":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")

    quiet_environment()
    # config.yml names the spaCy pipeline by a path relative to the project, as Rasa expects.
    os.chdir(ROOT)

    if args.command == "train":
        from bot.model.training import train

        configure_logging()
        train(force=args.force)
        return 0

    if args.command == "test-stories":
        from bot.model.evaluation import test_stories

        configure_logging()
        return asyncio.run(test_stories())
    if args.command == "eval":
        from bot.model.evaluation import cross_validate

        configure_logging()
        return cross_validate()
    if args.command == "bench":
        from bench.run import main as bench

        configure_logging(level=logging.WARNING)
        return bench(rest)

    try:
        settings = load_settings()
    except SettingsError as error:
        return _refuse(error)
    configure_logging(secrets=[settings.token or "", settings.data_key or ""])

    if args.command == "data-key":
        from bot import keys

        return keys.ensure(settings) if args.ensure else keys.show()
    if args.command == "classify":
        from bot.classify import classify_stream

        return asyncio.run(classify_stream(settings, sys.stdin, sys.stdout))
    # Everything below reads or writes what people wrote, so it needs the data key.
    try:
        if args.command == "rotate-key":
            from bot import keys

            return asyncio.run(keys.rotate(settings))
        return _serve(args.command, settings)
    except (SettingsError, DataKeyError, StoreError) as error:
        return _refuse(error)


def _refuse(error: Exception) -> int:
    print(f"Configuration problem: {error}", file=sys.stderr)
    return 2


def _serve(command: str, settings) -> int:
    if settings.data_key is None:
        raise SettingsError(f"BOT_DATA_KEY is not set: {KEY_HELP}.")
    if command == "run" and settings.token:
        from bot.runner import serve_forever

        return asyncio.run(serve_forever(settings))

    from bot.console import chat

    if command == "run":
        print(
            "No TELEGRAM_BOT_TOKEN set, so this is the console chat. To connect Telegram, get a "
            "token from @BotFather and put TELEGRAM_BOT_TOKEN=... in .env (see README).",
            file=sys.stderr,
        )
    return asyncio.run(chat(settings))


if __name__ == "__main__":
    sys.exit(main())
