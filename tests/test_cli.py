"""The command-line contract, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.settings import ROOT
from tests.conftest import DATA_KEY


def run_bot(
    *args: str, stdin: str, extra_env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["BOT_DATA_KEY"] = DATA_KEY
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )


def test_classify_prints_one_json_line_per_message(model_path):
    lines = [
        "I keep wanting to check her phone",
        "i want to kill myself",
        "",
        "asdfgh qwerty",
        "took like 20 of my mums tablets an hour ago",
        "I'm not suicidal, just so tired of his lies",
    ]
    result = run_bot("classify", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr[-2000:]
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in records] == [lines[0], lines[1], *lines[3:]]
    assert records[0]["intent"] == "checking_urge" and records[0]["safety"] is None
    assert 0 < records[0]["confidence"] <= 1
    assert records[1]["safety"] == "self_harm" and records[1]["safety_check"] is None
    assert records[3]["safety"] == "self_harm" and records[3]["urgent"] is True
    assert records[4]["safety"] is None  # a denial is no crisis reply
    assert all(r["intent"] != "nlu_fallback" for r in records)
    assert all(not (r["safety"] and r["safety_check"]) for r in records)


def chat_replies(typed: list[str], db: Path) -> list[str]:
    """What `python -m bot chat` answers to these lines, one entry per bot message."""
    result = run_bot("chat", stdin="\n".join(typed) + "\n", extra_env={"BOT_DB_PATH": str(db)})
    assert result.returncode == 0, result.stderr[-2000:]
    # Piped input is echoed ("you> ...") so a transcript shows both sides.
    said = [line for line in result.stdout.splitlines() if line.startswith("you> ")]
    assert said == [f"you> {line}" for line in typed]
    shown = "\n".join(line for line in result.stdout.splitlines() if not line.startswith("you> "))
    return shown.split("bot> ")[1:]


def test_chat_runs_the_same_pipeline_in_a_terminal(model_path, tmp_path, texts_of):
    typed = ["2", "hi", "my ex cheated, am i punishing my new partner for it?"]
    replies = chat_replies(typed, tmp_path / "chat.sqlite3")
    assert "not a therapist" in replies[0]
    assert "which country" in replies[1] and "[2] United Kingdom" in replies[1]
    assert "United Kingdom" in replies[2]  # typing a number taps that button
    assert replies[3].strip() in texts_of("utter_greet")
    text, button = replies[4].split("\n     [1] ")
    assert text.strip() in texts_of("utter_past_vs_present")
    assert button.strip() == "Sort past from present with me"  # the reflection, one tap away
    assert (tmp_path / "chat.sqlite3").is_file()


def test_chat_knows_the_commands_that_make_sense_in_a_terminal(model_path, tmp_path):
    replies = chat_replies(["/country gb", "/sos", "/clear"], tmp_path / "chat.sqlite3")
    assert "United Kingdom" in replies[2]
    assert "116 123" in replies[3] and "999" in replies[3]
    assert "don't know that command" in replies[5]
