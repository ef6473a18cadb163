from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings

GOOD = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_dotenv_is_read_and_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        f'# comment\nexport TELEGRAM_BOT_TOKEN="{GOOD}"\nBOT_DB_PATH=/tmp/a.sqlite3\n'
    )
    settings = load_settings({"BOT_DB_PATH": "/tmp/b.sqlite3"}, dotenv)
    assert settings.token == GOOD
    assert str(settings.db_path) == "/tmp/b.sqlite3"
    assert settings.webhook is False


def test_defaults_without_anything(tmp_path):
    settings = load_settings({}, tmp_path / "missing.env")
    assert settings.token is None
    assert settings.db_path.name == "bot.sqlite3" and settings.db_path.parent.name == "var"
    assert settings.webhook_port == 8443


@pytest.mark.parametrize(
    "env, message",
    [
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "@BotFather"),
        ({"TELEGRAM_BASE_URL": "127.0.0.1:8081"}, "http"),
        ({"BOT_WEBHOOK_URL": "http://example.org/hook"}, "https"),
        ({"BOT_WEBHOOK_PORT": "99999"}, "port"),
        ({"BOT_WEBHOOK_SECRET": "has spaces"}, "letters"),
        ({"BOT_WEBHOOK_URL": "https://example.org/telegram"}, "BOT_WEBHOOK_SECRET"),
    ],
)
def test_bad_values_are_explained(tmp_path, env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(env, tmp_path / "missing.env")
