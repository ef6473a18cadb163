"""`python -m bot classify`: one message per line in, one JSON object per line out."""

from __future__ import annotations

import json
from typing import IO

from bot import safety
from bot.dialogue import MAX_NLU_CHARS, load_agent
from bot.settings import Settings

FALLBACK_INTENT = "nlu_fallback"


def top_intent(parsed: dict) -> tuple[str, float, bool]:
    """The model's real top intent; `nlu_fallback` only marks that it was below the threshold."""
    ranking = [r for r in parsed.get("intent_ranking", []) if r["name"] != FALLBACK_INTENT]
    fallback = parsed.get("intent", {}).get("name") == FALLBACK_INTENT
    if not ranking:
        return FALLBACK_INTENT, 0.0, True
    return ranking[0]["name"], float(ranking[0]["confidence"]), fallback


async def classify_stream(settings: Settings, stdin: IO[str], stdout: IO[str]) -> int:
    agent = load_agent(settings.model_path)
    for line in stdin:
        message = line.rstrip("\n")
        if not message.strip():
            continue
        intent, confidence, fallback = top_intent(
            await agent.parse_message(message[:MAX_NLU_CHARS])
        )
        record = {
            "text": message,
            "intent": intent,
            "confidence": round(confidence, 4),
            "safety": safety.screen(message),
        }
        if fallback:
            record["fallback"] = True
        stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0
