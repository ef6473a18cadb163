"""Configuration from the environment (and a `.env` file), validated once at start."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.crypto import DataKeyError, Sealer

ROOT = Path(__file__).resolve().parent.parent
MODEL_PATH = ROOT / "models" / "trust.tar.gz"
SPACY_DIR = ROOT / "var" / "spacy" / "en_blank"

_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")


class SettingsError(ValueError):
    """A setting is present but unusable; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    token: str | None
    base_url: str | None
    db_path: Path
    data_key: str | None
    webhook_url: str | None
    webhook_port: int
    webhook_secret: str | None
    model_path: Path = MODEL_PATH
    # Retention (issue 17): tracker events older than this are swept daily; so is everything
    # about a person not seen for `keep_inactive_days`.
    keep_events_days: int = 30
    keep_inactive_days: int = 365
    # A reverse proxy in front terminates TLS; the bot listens only where it can reach it.
    webhook_listen: str = "127.0.0.1"

    @property
    def webhook(self) -> bool:
        return self.webhook_url is not None


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; `#` comments and surrounding quotes are allowed."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = ROOT / ".env"
) -> Settings:
    """The real environment wins over `.env`, so a one-off override needs no file edit."""
    env = dict(read_dotenv(dotenv) if dotenv else {})
    env.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    token = get("TELEGRAM_BOT_TOKEN")
    if token is not None and not _TOKEN_RE.match(token):
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then letters); "
            "copy it again from @BotFather."
        )

    base_url = get("TELEGRAM_BASE_URL")
    if base_url is not None and not re.match(r"^https?://", base_url):
        raise SettingsError("TELEGRAM_BASE_URL must start with http:// or https://.")

    port_text = get("BOT_WEBHOOK_PORT") or "8443"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SettingsError("BOT_WEBHOOK_PORT must be a port number between 1 and 65535.")

    webhook_url = get("BOT_WEBHOOK_URL")
    if webhook_url is not None and not webhook_url.startswith("https://"):
        raise SettingsError("BOT_WEBHOOK_URL must be an https:// address Telegram can reach.")
    webhook_secret = get("BOT_WEBHOOK_SECRET")
    if webhook_secret is not None and not re.match(r"^[A-Za-z0-9_-]{1,256}$", webhook_secret):
        raise SettingsError(
            "BOT_WEBHOOK_SECRET may use only letters, digits, _ and - (1 to 256 characters)."
        )

    if webhook_url is not None and webhook_secret is None:
        # Without it anyone who finds the address could post updates as any user.
        raise SettingsError(
            "BOT_WEBHOOK_URL needs BOT_WEBHOOK_SECRET too (letters, digits, _ and -), so only "
            "Telegram can post to the webhook."
        )
    listen = get("BOT_WEBHOOK_LISTEN") or "127.0.0.1"

    db_path = Path(get("BOT_DB_PATH") or ROOT / "var" / "bot.sqlite3")
    data_key = get("BOT_DATA_KEY")
    if data_key is not None:
        try:
            Sealer(data_key)
        except DataKeyError as error:
            raise SettingsError(str(error)) from None
    return Settings(
        token=token,
        base_url=base_url,
        db_path=db_path,
        data_key=data_key,
        webhook_url=webhook_url,
        webhook_port=int(port_text),
        webhook_secret=webhook_secret,
        webhook_listen=listen,
        keep_events_days=_days(get, "BOT_KEEP_EVENTS_DAYS", 30),
        keep_inactive_days=_days(get, "BOT_KEEP_INACTIVE_DAYS", 365),
    )


def _days(get, name: str, default: int) -> int:
    value = get(name) or str(default)
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(
            f"{name} must be a whole number of days, 1 or more (default {default})."
        )
    return int(value)
