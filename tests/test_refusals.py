"""Issue 17: a malformed setting stops `python -m bot run` at start with one clear line on
stderr and exit status 2, never a traceback, and never echoes a secret; `data-key --ensure`
gives a first run a key of its own in `.env`, readable by its owner alone."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from bot import keys
from bot.crypto import new_key
from bot.settings import ROOT, load_settings
from bot.store import Store
from tests.conftest import DATA_KEY

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
WRONG_KEY = new_key()


def run_bot(env: dict[str, str]) -> subprocess.CompletedProcess:
    # Every setting is given (an empty one counts as unset), so a developer's .env plays no part.
    base = {
        "PATH": "",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        # Nothing listens there: every case must stop before the bot reaches the network.
        "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
        "BOT_DATA_KEY": DATA_KEY,
        "BOT_WEBHOOK_URL": "",
        "BOT_WEBHOOK_SECRET": "",
        "BOT_WEBHOOK_PORT": "",
        "BOT_KEEP_EVENTS_DAYS": "",
        "BOT_KEEP_INACTIVE_DAYS": "",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


CASES = {
    "token shape": ({"TELEGRAM_BOT_TOKEN": "12345-not-a-token"}, "TELEGRAM_BOT_TOKEN"),
    "malformed key": ({"BOT_DATA_KEY": "not-a-fernet-key"}, "BOT_DATA_KEY"),
    "one bad key of two": ({"BOT_DATA_KEY": f"{DATA_KEY},short"}, "BOT_DATA_KEY"),
    "missing key": ({"BOT_DATA_KEY": ""}, "python -m bot data-key"),
    "wrong key": ({"BOT_DATA_KEY": WRONG_KEY}, "another key"),
    "database under a file": ({"BOT_DB_PATH": "{tmp}/a-file/bot.sqlite3"}, "BOT_DB_PATH"),
    "port": ({"BOT_WEBHOOK_PORT": "99999"}, "BOT_WEBHOOK_PORT"),
    "webhook not https": ({"BOT_WEBHOOK_URL": "http://example.org/hook"}, "https"),
    "base url": ({"TELEGRAM_BASE_URL": "127.0.0.1:8081"}, "TELEGRAM_BASE_URL"),
    "retention days": ({"BOT_KEEP_EVENTS_DAYS": "thirty"}, "BOT_KEEP_EVENTS_DAYS"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_setting_is_one_clear_line(tmp_path, case):
    env, names = CASES[case]
    (tmp_path / "a-file").write_text("not a folder")
    written = tmp_path / "written.sqlite3"  # the database the wrong key meets
    asyncio.run(_write_database(written))
    env = {"BOT_DB_PATH": str(written), **{k: v.format(tmp=tmp_path) for k, v in env.items()}}

    result = run_bot(env)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("Configuration problem: "), result.stderr
    assert names in lines[0]
    assert "Traceback" not in result.stderr
    for secret in (DATA_KEY, WRONG_KEY, "not-a-fernet-key", TOKEN):
        assert secret not in result.stderr + result.stdout


async def _write_database(path) -> None:
    store = await Store.open(path, DATA_KEY)
    await store.touch_user(1)
    await store.close()


def test_a_first_run_gets_a_key_of_its_own_kept_private(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}")  # no newline at the end
    assert keys.ensure(load_settings({}, dotenv), dotenv) == 0
    settings = load_settings({}, dotenv)
    assert settings.token == TOKEN and settings.data_key  # the token line is untouched
    assert dotenv.stat().st_mode & 0o777 == 0o600

    written = dotenv.read_text()
    assert keys.ensure(load_settings({}, dotenv), dotenv) == 0  # a key is set: left alone
    assert dotenv.read_text() == written
