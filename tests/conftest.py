"""Shared fixtures: one really trained model, loaded once; a fake Bot API; a real SQLite file."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import yaml

from bot.logs import quiet_environment

quiet_environment()
os.chdir(Path(__file__).resolve().parent.parent)  # config.yml's spaCy path is project-relative

from bench.fake_telegram import FakeTelegram  # noqa: E402
from bot.pacing import CHAT_WINDOWS, OVERALL_WINDOWS, ChatLimiter  # noqa: E402
from bot.runner import BotRunner  # noqa: E402
from bot.settings import MODEL_PATH, ROOT, Settings  # noqa: E402
from bot.turns import HOLD_SECONDS, TURN_GAP_SECONDS  # noqa: E402

TOKEN = "123456789:TEST-token-abcdefghijklmnopqrstuvwxyz"
# A fixed Fernet key (bot/crypto.py): tests reopen their databases, and a subprocess needs it too.
DATA_KEY = "dGVzdC1vbmx5LWRhdGEta2V5LW5vdC1hLXNlY3JldCE="


@pytest.fixture(scope="session")
def model_path() -> Path:
    from bot.model.training import train

    train()  # a no-op when `make test` already trained on the same inputs
    return MODEL_PATH


@pytest.fixture(scope="session")
def agent(model_path: Path):
    from bot.dialogue import load_agent

    return load_agent(model_path)


@pytest.fixture
async def conversation(tmp_path, agent):
    """The pipeline every channel shares, on the trained model and a real SQLite file."""
    from bot.conversation import Conversation
    from bot.dialogue import Dialogue
    from bot.store import Store

    store = await Store.open(tmp_path / "bot.sqlite3", DATA_KEY)
    dialogue = Dialogue(store)
    dialogue.use(agent)
    yield Conversation(store, dialogue)
    await store.close()


@pytest.fixture(scope="session")
def domain_responses() -> dict[str, list[dict]]:
    return yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]


@pytest.fixture
def texts_of(domain_responses) -> Callable[[str], set[str]]:
    def texts(response: str) -> set[str]:
        return {v["text"] for v in domain_responses[response]}

    return texts


@pytest.fixture
async def fake_tg() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(TOKEN)
    await server.start()
    yield server
    await server.stop()


def make_settings(db_path: Path, base_url: str | None) -> Settings:
    return Settings(
        token=TOKEN,
        base_url=base_url,
        db_path=db_path,
        data_key=DATA_KEY,
        webhook_url=None,
        webhook_port=8443,
        webhook_secret=None,
    )


def scaled_limits(factor: float = 0.05) -> ChatLimiter:
    """Telegram's windows, the same counts in `factor` of the time: the end-to-end tests keep the
    limiter's logic in the path without waiting out real seconds. (The real windows are measured
    in tests/test_limiter.py and in the paced breathing test, whose one-a-second gap is its own.)"""
    return ChatLimiter(
        tuple((count, span * factor) for count, span in CHAT_WINDOWS),
        tuple((count, span * factor) for count, span in OVERALL_WINDOWS),
    )


@pytest.fixture
async def start_bot(tmp_path: Path, fake_tg: FakeTelegram, agent):
    """Starts the real bot against the fake server; every runner is stopped after the test."""
    runners: list[BotRunner] = []

    async def start(agent_override=agent, db_path: Path | None = None, **options) -> BotRunner:
        settings = make_settings(db_path or tmp_path / "bot.sqlite3", fake_tg.base_url)
        options.setdefault("limiter", scaled_limits())
        # A chat's turns a second apart (bot/turns.py), in a twentieth of the time too.
        options.setdefault("turn_gap", TURN_GAP_SECONDS * 0.05)
        options.setdefault("turn_hold", HOLD_SECONDS * 0.05)
        runner = BotRunner(settings, agent=agent_override, poll_timeout=1, **options)
        await runner.start()
        runners.append(runner)
        return runner

    yield start
    for runner in runners:
        await runner.stop()


# Fixtures that mean the test needs the trained Rasa model (and its half-minute load).
_MODEL_FIXTURES = {"model_path", "agent", "start_bot"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks every test that needs the trained model `model`, from the fixtures it uses, so
    `pytest -m "not model"` runs the rest in seconds; `make test` runs everything."""
    for item in items:
        if _MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)
