"""Grounding exercises (guide, Step 6): small state machines over a stored run.

Every run lives in the store's `exercises` table, so a restart in the middle loses nothing:
tapped steps simply go on, a timed breathing run is offered again (`interrupted`), and an urge
delay comes back when its time is due (`due`), whenever the bot is running then. Safety
screening happens before any typed text reaches this module.

Buttons carry the run id, so a tap on an old message can never drive someone else's run or a
newer one; it gets the current step again, or a note that the exercise has ended.
"""

from __future__ import annotations

import random
import re
import time
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

import yaml

from bot.flows import REAL_TIME, Due, Flow, Options
from bot.flows.reflection import is_stop
from bot.payloads import ExerciseMenu, ExerciseStart, ExerciseStep, Payload
from bot.replies import Button, Pace, Reply
from bot.store import Store

FILE = Path(__file__).resolve().parent.parent / "data" / "exercises.yml"
# A timed run the bot was pacing when it stopped is offered again only if it is this fresh;
# after longer, the moment has passed and an unasked-for message would only intrude.
RESUME_WITHIN_SECONDS = 30 * 60
RATING_ROWS = (6, 5, 2)
_RATING = re.compile(r"^\s*(?:about |maybe |like |a |an )?(\d{1,2})(?:\s*(?:/|out of)\s*10)?\s*$")
_NEXT_WORDS = {"next", "done", "ok", "okay", "k", "did it", "done it", "ready", "finished"}


@cache
def _data() -> dict:
    return yaml.safe_load(FILE.read_text(encoding="utf-8"))


def names() -> list[str]:
    return list(_data()["menu"]["order"])


def _ex(name: str) -> dict:
    return _data()["exercises"][name]


def _button(key: str) -> str:
    return _data()["buttons"][key]


def parse_rating(text: str) -> int | None:
    match = _RATING.match(text.lower())
    if match and 0 <= int(match.group(1)) <= 10:
        return int(match.group(1))
    return None


class Exercises(Flow):
    name = "exercises"
    payloads = (ExerciseMenu, ExerciseStart, ExerciseStep)

    def __init__(self, store: Store, options: Options = REAL_TIME) -> None:
        super().__init__(store, options)
        self.tempo = options.tempo  # seconds per count; tests speed the counting up
        self.clock = options.clock
        self.wait_seconds = options.urge_wait

    async def active(self, user_id: int) -> bool:
        return await self.store.open_exercise(user_id) is not None

    # --- entry points ----------------------------------------------------------------------

    async def menu(self, user_id: int) -> Reply:
        buttons = [Button(_ex(n)["button"], ExerciseStart(n).pack()) for n in names()]
        ask = _data()["menu"]["ask"]
        helped = await self._what_helped(user_id)
        return Reply(f"{helped}\n\n{ask}" if helped else ask, tuple(buttons))

    async def _what_helped(self, user_id: int) -> str:
        """The person's own before/after ratings, averaged per exercise: what works for them."""
        moved: dict[str, list[tuple[int, int]]] = {}
        for rating in await self.store.exercise_ratings(user_id):
            if rating["before"] is not None and rating["after"] is not None:
                moved.setdefault(rating["name"], []).append((rating["before"], rating["after"]))
        if not moved:
            return ""
        texts = _data()["what_helped"]
        lines = [texts["heading"]]
        by_drop = sorted(moved.items(), key=lambda kv: -sum(b - a for b, a in kv[1]) / len(kv[1]))
        for name, pairs in by_drop[:3]:
            lines.append(
                texts["line"].format(
                    title=_ex(name)["title"],
                    before=round(sum(b for b, _ in pairs) / len(pairs), 1),
                    after=round(sum(a for _, a in pairs) / len(pairs), 1),
                    times=len(pairs),
                )
            )
        return "\n".join(lines)

    async def start(self, user_id: int, name: str) -> list[Reply]:
        if name not in names():
            return [await self.menu(user_id)]
        first = "urge" if name == "urge_delay" else "before"
        run_id = await self.store.start_exercise(user_id, name, first, {"pace": 0})
        run = await self.store.exercise(run_id)
        return [self._prompt(run)]

    async def on_payload(self, user_id: int, payload: Payload) -> list[Reply]:
        if isinstance(payload, ExerciseMenu):
            return [await self.menu(user_id)]
        if isinstance(payload, ExerciseStart):
            return await self.start(user_id, payload.name)
        if not isinstance(payload, ExerciseStep):
            return []
        run = await self.store.exercise(payload.run)
        if run is None or run["user_id"] != user_id or run["finished_at"] is not None:
            return [Reply(_data()["stale"])]
        return await self._act(run, payload.action, payload.arg)

    async def on_text(self, user_id: int, message: str) -> list[Reply] | None:
        """Typed text inside an exercise; None when it is not for the exercise (talk instead)."""
        run = await self.store.open_exercise(user_id)
        if run is None:
            return None
        if is_stop(message):
            return await self._act(run, "stop", "")
        step = run["step"]
        word = message.strip().lower().strip(".!")
        if step in ("before", "after"):
            rating = parse_rating(message)
            return None if rating is None else await self._act(run, "rate", str(rating))
        if step == "sense":
            acknowledged = word not in _NEXT_WORDS
            return await self._next_sense(run, acknowledged)
        if step == "urge_text":
            return await self._to(run, "before")  # named, not kept: it was for them to say
        if step == "write":
            return await self._journal_entry(run, message.strip())
        if step in ("tap", "repeat", "tips") and word in _NEXT_WORDS:
            return await self._act(run, "done" if step != "tap" else "next", "")
        if step == "pacing":
            # They want to talk: the breathing stops (its message says so) and the dialogue answers.
            await self.store.finish_exercise(run["id"], "stopped")
        return None

    async def paced_done(self, run_id: int, token: int) -> list[Reply]:
        run = await self.store.exercise(run_id)
        if not self._pacing(run, token):
            return []
        if run["name"] == "urge_delay":
            run["due_at"] = self.clock() + self.wait_seconds
            return await self._to(run, "waiting")
        return await self._to(run, "after", _ex(run["name"])["done"])

    async def still_pacing(self, run_id: int, token: int) -> bool:
        return self._pacing(await self.store.exercise(run_id), token)

    async def due(self, now: float, user_id: int | None = None) -> Due:
        """Urge delays whose wait is over: the question that brings the person back."""
        return [
            (run["user_id"], [self._prompt(run)])
            for run in await self.store.claim_due_exercises(now, user_id)
        ]

    async def resumable(self, user_id: int | None = None) -> Due:
        """After a restart: timed runs that were playing. Fresh ones are offered again."""
        offers = []
        for run in await self.store.exercises_in_step("pacing", user_id):
            if time.time() - run["updated_at"] > RESUME_WITHIN_SECONDS:
                await self.store.finish_exercise(run["id"], "interrupted")
                continue
            title = _ex(run["name"])["title"]
            buttons = (
                _tap(_button("resume"), run["id"], "resume"),
                _tap(_button("stop"), run["id"], "stop"),
            )
            offers.append(
                (run["user_id"], [Reply(_data()["resume_offer"].format(title=title), buttons)])
            )
        return offers

    async def interrupt(self, user_id: int) -> None:
        """A crisis ends every exercise at once, a pending urge follow-up included."""
        await self.store.interrupt_exercises(user_id)

    async def set_aside(self, user_id: int) -> None:
        """Another guided flow starts: the open exercise ends (a parked urge delay stays)."""
        await self.store.end_open_exercises(user_id, "replaced")

    async def ratings(self, user_id: int) -> list[dict]:
        return await self.store.exercise_ratings(user_id)

    async def journal_text(self, user_id: int) -> str:
        texts = _ex("journal")
        entries = await self.store.journal_entries(user_id)
        if not entries:
            declined = await self.store.journal_consent(user_id) is False
            return texts["off"] if declined else texts["empty"]
        parts = [texts["heading"]]
        for entry in entries:
            day = datetime.fromtimestamp(entry["written_at"], timezone.utc).strftime("%d %b %Y")
            parts.append(f"{day} · {entry['prompt']}\n{entry['entry']}")
        return "\n\n".join(parts)

    async def forget_journal(self, user_id: int) -> str:
        count = await self.store.forget_journal(user_id)
        return _ex("journal")["forgotten"].format(count=count)

    # --- the state machine -----------------------------------------------------------------

    async def _act(self, run: dict, action: str, arg: str) -> list[Reply]:
        step = run["step"]
        if action == "stop":
            await self.store.finish_exercise(run["id"], "stopped")
            return [Reply(_data()["stopped"])]
        if action == "rate" and step in ("before", "after"):
            value = None if arg == "skip" else int(arg) if arg.isdigit() else -1
            if value is not None and not 0 <= value <= 10:
                return [self._prompt(run)]
            if step == "before":
                run["before"] = value
                return await self._to(run, self._after_before(run))
            return await self._finish(run, value)
        if action == "mode" and step == "mode" and arg in ("timed", "tap"):
            return await self._to(run, "pacing" if arg == "timed" else "tap")
        if action == "next" and step == "tap":
            run["state"]["round"] = run["state"].get("round", 1) + 1
            if run["state"]["round"] > _ex("breathing")["rounds"]:
                return await self._to(run, "after", _ex("breathing")["done"])
            return await self._to(run, "tap")
        if action == "next" and step == "sense":
            return await self._next_sense(run, acknowledged=False)
        if action == "pick" and step == "urge":
            if arg == "other":
                return await self._to(run, "urge_text")
            if arg in _ex("urge_delay")["urges"]:
                run["state"]["urge"] = arg
                return await self._to(run, "before")
        if action == "pick" and step == "pick" and arg in _ex("self_talk")["phrases"]:
            run["state"]["phrase"] = arg
            return await self._to(run, "repeat")
        if action == "consent" and step == "consent" and arg in ("yes", "no"):
            await self.store.set_journal_consent(run["user_id"], arg == "yes")
            return await self._to(run, "write")
        if action == "done" and step in ("repeat", "tips"):
            closing = _ex("self_talk")["done"] if step == "repeat" else ""
            return await self._to(run, "after", closing)
        if action == "resume" and step == "pacing":
            return await self._to(run, "pacing")
        if step == "pacing":
            return []  # e.g. a second tap on "Count for me": one counting message is enough
        return [self._prompt(run)]  # a button from an earlier step: show where we are

    def _after_before(self, run: dict) -> str:
        name = run["name"]
        if name == "breathing":
            return "mode"
        if name == "five_senses":
            run["state"]["sense"] = 0
            return "sense"
        if name == "urge_delay":
            return "pacing"
        if name == "self_talk":
            return "pick"
        if name == "journal":
            return "consent"  # _to skips it when the person already agreed
        return "tips"

    async def _to(self, run: dict, step: str, lead: str = "") -> list[Reply]:
        if step == "consent" and await self.store.journal_consent(run["user_id"]):
            step = "write"  # asked once; someone who said no is asked again next time
        if step == "write" and "prompt" not in run["state"]:
            run["state"]["prompt"] = random.randrange(len(_ex("journal")["prompts"]))
        if step == "tips":
            run["state"]["tip"] = random.randrange(len(_ex("body_reset")["tips"]))
        if step == "tap":
            run["state"].setdefault("round", 1)
        if step == "pacing":
            run["state"]["pace"] = run["state"].get("pace", 0) + 1
        run["step"] = step
        await self.store.save_exercise(run)
        replies = [Reply(lead)] if lead else []
        return [*replies, self._prompt(run)]

    async def _next_sense(self, run: dict, acknowledged: bool) -> list[Reply]:
        run["state"]["sense"] = run["state"].get("sense", 0) + 1
        ack = ""
        if acknowledged:  # never the same acknowledgement twice in a row
            options = [a for a in _ex("five_senses")["noticed"] if a != run["state"].get("ack")]
            ack = run["state"]["ack"] = random.choice(options)
        if run["state"]["sense"] >= len(_ex("five_senses")["steps"]):
            done = _ex("five_senses")["done"]
            return await self._to(run, "after", f"{ack} {done}".strip())
        replies = await self._to(run, "sense")
        return [Reply(f"{ack}\n\n{replies[0].text}", replies[0].buttons)] if ack else replies

    async def _journal_entry(self, run: dict, entry: str) -> list[Reply]:
        exercise = _ex("journal")
        if await self.store.journal_consent(run["user_id"]) and entry:
            prompt = exercise["prompts"][run["state"]["prompt"]]["ask"]
            await self.store.add_journal_entry(run["user_id"], prompt, entry)
            return await self._to(run, "after", exercise["kept"])
        return await self._to(run, "after", exercise["not_kept"])

    async def _finish(self, run: dict, after: int | None) -> list[Reply]:
        await self.store.finish_exercise(run["id"], "done", after=after)
        texts = _ex("urge_delay") if run["name"] == "urge_delay" else _data()["rating"]
        before = run["before"]
        if before is None or after is None:
            closing = _data()["rating"]["skipped"]
        else:
            trend = "lower" if after < before else "same" if after == before else "higher"
            closing = texts[trend].format(before=before, after=after)
        return [Reply(closing, (Button(_button("another"), ExerciseMenu().pack()),))]

    # --- what each step shows --------------------------------------------------------------

    def _prompt(self, run: dict) -> Reply:
        step, name, state, rid = run["step"], run["name"], run["state"], run["id"]
        exercise = _ex(name)
        stop = _tap(_button("stop"), rid, "stop")
        if step in ("before", "after"):
            if name == "urge_delay":
                key = "rate" if step == "before" else "followup"
                ask = _urge_text(exercise[key], state.get("urge"))
            else:
                ask = _data()["rating"][step]
            buttons = [_tap(str(n), rid, "rate", str(n)) for n in range(11)]
            buttons.append(_tap(_button("skip"), rid, "rate", "skip"))
            if step == "before":
                buttons.append(stop)
            return Reply(ask, tuple(buttons), rows=RATING_ROWS)
        if step == "mode":
            return Reply(
                exercise["intro"],
                (
                    _tap(exercise["timed_button"], rid, "mode", "timed"),
                    _tap(exercise["tap_button"], rid, "mode", "tap"),
                    stop,
                ),
            )
        if step == "tap":
            rounds = exercise["rounds"]
            ask = exercise["tap_step"].format(round=state["round"], rounds=rounds)
            return Reply(ask, (_tap(_button("next"), rid, "next"), stop))
        if step == "pacing":
            return self._pace(run, stop)
        if step == "sense":
            index = state.get("sense", 0)
            ask = exercise["steps"][index]
            if index == 0:
                ask = f"{exercise['intro']}\n\n{ask}"
            return Reply(ask, (_tap(_button("next"), rid, "next"), stop))
        if step == "urge":
            buttons = [_tap(t, rid, "pick", str(k)) for k, t in exercise["urge_buttons"].items()]
            buttons += [_tap(exercise["other_button"], rid, "pick", "other"), stop]
            return Reply(exercise["intro"], tuple(buttons))
        if step == "urge_text":
            return Reply(exercise["name_it"], (stop,))
        if step == "pick":
            phrases = exercise["phrases"]
            buttons = [_tap(p["button"], rid, "pick", str(k)) for k, p in phrases.items()]
            return Reply(exercise["intro"], (*buttons, stop))
        if step == "repeat":
            phrase = exercise["phrases"][state["phrase"]]["text"]
            done = _tap(_button("done"), rid, "done")
            return Reply(exercise["repeat"].format(phrase=phrase), (done, stop))
        if step == "consent":
            return Reply(
                exercise["consent"],
                (
                    _tap(exercise["keep_button"], rid, "consent", "yes"),
                    _tap(exercise["dont_keep_button"], rid, "consent", "no"),
                    stop,
                ),
            )
        if step == "write":
            prompt = exercise["prompts"][state["prompt"]]["ask"]
            return Reply(exercise["write"].format(prompt=prompt), (stop,))
        if step == "tips":
            tip = exercise["tips"][state["tip"]]
            return Reply(tip, (_tap(_button("done"), rid, "done"), stop))
        if step == "waiting":
            return Reply(_ex("urge_delay")["wait"])
        raise ValueError(f"unknown exercise step {step!r}")

    def _pace(self, run: dict, stop: Button) -> Reply:
        breathing = _ex("breathing")
        frames = []
        lead = _ex("urge_delay")["breathe"] if run["name"] == "urge_delay" else ""
        for round_no in range(1, breathing["rounds"] + 1):
            for phase in breathing["phases"]:
                for count in range(1, phase["seconds"] + 1):
                    frame = breathing["frame"].format(
                        phase=phase["label"],
                        count=count,
                        round=round_no,
                        rounds=breathing["rounds"],
                    )
                    frames.append((frame, self.tempo))
        pace = Pace(run["id"], run["state"]["pace"], tuple(frames), stop, _data()["paced_stopped"])
        return Reply(lead, pace=pace)

    @staticmethod
    def _pacing(run: dict | None, token: int) -> bool:
        return bool(
            run
            and run["finished_at"] is None
            and run["step"] == "pacing"
            and run["state"].get("pace") == token
        )


def _tap(title: str, run_id: int, action: str, arg: str = "") -> Button:
    """A button inside a run: it carries the run's id, so it only ever drives this run."""
    return Button(title, ExerciseStep(run_id, action, arg).pack())


def _urge_text(template: str, urge: str | None) -> str:
    phrase = _ex("urge_delay")["urges"].get(urge or "", "")
    return re.sub(r" {2,}", " ", template.format(urge=phrase))
