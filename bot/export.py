"""/export (GDPR art. 20, data portability): everything the store keeps about a person, as two
files they can open and take elsewhere.

- `trust-companion-export.json`: one object holding it all: the profile (their row of `users`),
  the reminder, finished check-ins, rated exercises, the journal, finished reflections, what the
  conversation remembers, and the conversation's stored events.
- `trust-companion-checkins.csv`: check-ins and exercises as one table for a spreadsheet, a `kind`
  column telling which a row is.

Everything is read through the store's own methods, which hand values back decrypted. Times are
ISO 8601 in UTC. Someone with nothing stored gets the same two files, empty.

The conversation is the dialogue's tracker events, each cut to its type, its time and what it
says: the intent and entities heard in a message (its words too, where a stored event still has
them), the response the bot gave, the actions it took, the slots it set. Left out as carrying
nothing about the person: `action_listen` (the bot waiting for the next message) and
`user_featurization` (the model's own bookkeeping).

Not in the files: updates waiting for their turn and replies waiting to be sent (kept only
until then), an unanswered "are you safe?" question (kept only until its answer), the ids of
chat messages that /clear deletes, and exercises never rated.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.store import Store

JSON_NAME = "trust-companion-export.json"
CSV_NAME = "trust-companion-checkins.csv"

CSV_COLUMNS = (
    "kind",
    "date",
    "mood",
    "steadiness",
    "tags",
    "note",
    "exercise",
    "before",
    "after",
    "outcome",
)

_SKIPPED_EVENTS = {"user_featurization"}
_SKIPPED_ACTIONS = {"action_listen"}


@dataclass(frozen=True)
class Record:
    """What the store holds about one person, as its methods return it."""

    profile: dict | None
    schedule: dict | None
    checkins: list[dict]
    exercises: list[dict]
    journal: list[dict]  # newest first, as the store lists it
    reflections: list[tuple[str, dict]]
    memory: dict[str, tuple[str, float]]
    events: list[dict]


async def gather(store: Store, user_id: int) -> Record:
    return Record(
        profile=await store.person(user_id),
        schedule=await store.schedule(user_id),
        checkins=await store.checkins(user_id, since=0),
        exercises=await store.exercise_ratings(user_id),
        journal=await store.journal_entries(user_id, limit=sys.maxsize),  # all of them
        reflections=await store.finished_reflections(user_id),
        memory=await store.memory(user_id),
        events=await store.session_events(str(user_id), all_sessions=True),
    )


def as_json(record: Record, now: float) -> bytes:
    document = {
        "exported_at": iso(now),
        "profile": _profile(record.profile),
        "schedule": _times(_without(record.schedule, "user_id")),
        "checkins": [_checkin(c) for c in record.checkins],
        "exercises": [_exercise(e) for e in record.exercises],
        "journal": [
            {"written_at": iso(j["written_at"]), "prompt": j["prompt"], "entry": j["entry"]}
            for j in reversed(record.journal)
        ],
        "reflections": [{"flow": flow, "answers": answers} for flow, answers in record.reflections],
        "memory": [
            {"key": key, "value": value, "set_at": iso(at)}
            for key, (value, at) in sorted(record.memory.items())
        ],
        "conversation": [e for e in map(_event, record.events) if e is not None],
    }
    # Indented and not ASCII-escaped: people open this in a text editor, in their own language.
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _checkin(c: dict) -> dict:
    return {
        "started_at": iso(c["started_at"]),
        "finished_at": iso(c["finished_at"]),
        "mood": c["mood"],
        "steadiness": c["steadiness"],
        "tags": c["tags"],
        "note": c["note"],
    }


def _exercise(e: dict) -> dict:
    return {
        "name": e["name"],
        "started_at": iso(e["started_at"]),
        "before": e["before"],
        "after": e["after"],
        "outcome": e["outcome"],
    }


def as_csv(record: Record) -> bytes:
    # The same rows as the JSON's, flattened into one table: a column per field, tags joined.
    rows = [
        {"kind": "checkin", "date": c.pop("started_at"), **c, "tags": ";".join(c["tags"])}
        for c in map(_checkin, record.checkins)
    ] + [
        {"kind": "exercise", "date": e.pop("started_at"), "exercise": e.pop("name"), **e}
        for e in map(_exercise, record.exercises)
    ]
    out = io.StringIO()
    # A check-in's finished_at is the JSON's alone: the table keeps one date a row.
    writer = csv.DictWriter(out, CSV_COLUMNS, restval="", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(sorted(rows, key=lambda row: row["date"]))  # ISO in UTC sorts as time
    # With a byte order mark, spreadsheet programs read UTF-8 (a note's accents, emoji) as such.
    return out.getvalue().encode("utf-8-sig")


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


def _profile(row: dict | None) -> dict | None:
    if row is None:
        return None
    profile = _times(row)
    if profile.get("journal_consent") is not None:  # stored as 0 or 1; None: never asked
        profile["journal_consent"] = bool(profile["journal_consent"])
    return profile


def _times(row: dict | None) -> dict | None:
    """A row with its time columns (created_at, last_seen, quiet_until...) as ISO strings."""
    if row is None:
        return None
    return {k: iso(v) if _is_time(k) and v is not None else v for k, v in row.items()}


def _is_time(column: str) -> bool:
    return column.endswith(("_at", "_until")) or column == "last_seen"


def _without(row: dict | None, *columns: str) -> dict | None:
    return None if row is None else {k: v for k, v in row.items() if k not in columns}


def _event(event: dict) -> dict | None:
    kind = event.get("event")
    if kind in _SKIPPED_EVENTS or (kind == "action" and event.get("name") in _SKIPPED_ACTIONS):
        return None
    simple = {"type": kind, "at": iso(event.get("timestamp"))}
    if kind == "user":
        parsed = event.get("parse_data") or {}
        simple["intent"] = (parsed.get("intent") or {}).get("name")
        simple["entities"] = [
            {k: e[k] for k in ("entity", "value", "role") if e.get(k) is not None}
            for e in parsed.get("entities") or []
        ]
        if event.get("text"):
            simple["text"] = event["text"]
    elif kind == "bot":
        simple["response"] = (event.get("metadata") or {}).get("utter_action")
        simple["text"] = event.get("text")
    elif kind == "slot":
        simple["name"], simple["value"] = event.get("name"), event.get("value")
    elif event.get("name") is not None:  # an action, a form (active loop), a reminder
        simple["name"] = event["name"]
    return simple
