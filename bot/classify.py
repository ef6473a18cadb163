"""`python -m bot classify`: one message per line in, one JSON object per line out."""

from __future__ import annotations

import json
from typing import IO

from bot import crisis_model, safety
from bot.dialogue import MAX_NLU_CHARS, load_agent, ranked
from bot.settings import Settings
from bot.threads import second_thread

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
    from bot.model.encoder import shared_encoder

    encode = shared_encoder().encode_kept if crisis_model.loaded() is not None else None
    for line in stdin:
        message = line.rstrip("\n")
        if not message.strip():
            continue
        # The screen first: the model then takes the sentence embeddings it computed.
        verdict = safety.assess_now(message, encode)
        parsed = await agent.parse_message(message[:MAX_NLU_CHARS])
        intent, confidence, fallback = top_intent(parsed)
        threads = ranked(parsed.get("threads"))
        if (
            verdict.tier is None
            and intent in safety.CATEGORIES
            and confidence >= safety.MODEL_SIGNAL_CONFIDENCE
        ):
            verdict = safety.Verdict("ask", intent)  # as the conversation would ask
        record = {
            "text": message,
            "intent": intent,
            "confidence": round(confidence, 4),
            "safety": verdict.crisis,
            "safety_check": verdict.ask,
        }
        if fallback:
            record["fallback"] = True
        elif second := second_thread(intent, threads):
            record["also"] = second  # offered as a button under the reply (bot/threads.py)
        if verdict.crisis and verdict.urgent:
            record["urgent"] = True
        if verdict.category == safety.OTHER:
            record["someone_else"] = True
        stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0
