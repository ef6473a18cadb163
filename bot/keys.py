"""`python -m bot data-key [--ensure]` and `python -m bot rotate-key`: the data key's life."""

from __future__ import annotations

import os
import sys

from bot.crypto import KEY_HELP, new_key
from bot.settings import ROOT, Settings, SettingsError

DOTENV = ROOT / ".env"


def show() -> int:
    """A new key on stdout, to put in front of BOT_DATA_KEY before `rotate-key`."""
    print(new_key())
    return 0


def ensure(settings: Settings, dotenv=DOTENV) -> int:
    """`make run` calls this first: a first run gets a key of its own, written where the next
    run finds it, and is told so, because a lost key means the stored data is lost too."""
    if settings.data_key is not None:
        return 0
    existing = dotenv.read_text(encoding="utf-8") if dotenv.exists() else ""
    separator = "" if not existing or existing.endswith("\n") else "\n"
    fd = os.open(dotenv, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(f"{separator}BOT_DATA_KEY={new_key()}\n")
    # It holds the token as well: this user's alone.
    dotenv.chmod(0o600)
    print(
        f"Wrote a new BOT_DATA_KEY to {dotenv}: it encrypts what people write. Back it up with "
        "the database; without it the stored conversations cannot be read (README, 'Data key').",
        file=sys.stderr,
    )
    return 0


async def rotate(settings: Settings) -> int:
    from bot.store import Store

    if settings.data_key is None:
        raise SettingsError(f"BOT_DATA_KEY is not set: {KEY_HELP}.")
    store = await Store.open(settings.db_path, settings.data_key)
    try:
        count = await store.rotate_key()
    finally:
        await store.close()
    print(
        f"Re-encrypted {count} stored values under the first key in BOT_DATA_KEY; the other keys "
        "can now be removed from it."
    )
    return 0
