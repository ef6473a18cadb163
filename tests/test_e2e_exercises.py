"""End to end: every grounding exercise through the fake Bot API, with the real bot and store.

Started from /ground and from an intent, completed, stopped midway and restarted midway; the
urge delay's ten-minute follow-up runs on an injected clock; paced breathing runs at a fast
tempo (one test keeps the real per-chat limit of one update a second and measures it).
"""

from __future__ import annotations

import asyncio
import itertools
import re

import pytest

from bot.pacing import ChatLimiter
from tests import chat
from tests.chat import payload, payloads

FAST = 0.05  # seconds per breathing count instead of 1


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Chat(chat.Chat):
    def edits(self) -> list:
        return [
            c
            for c in self.tg.calls
            if c.method == "editMessageText"
            and int(c.params["chat_id"]) == self.user
            and "Round" in str(c.params["text"])
        ]


async def open_from_menu(chat: Chat, name: str) -> dict:
    [menu] = await chat.say("/ground")
    assert f"ex:start:{name}" in payloads(menu)
    [first] = await chat.tap(menu, f"ex:start:{name}")
    return first


async def rate_before(chat: Chat, question: dict, value: int, n: int = 1) -> list[dict]:
    assert "0 is calm" in question["text"] or "0 is barely" in question["text"]
    assert payloads(question)[:11] == [payload(question, f"rate:{i}") for i in range(11)]
    return await chat.tap(question, f"rate:{value}", n)


async def finish(chat: Chat, question: dict, value: int) -> str:
    assert "0 to 10" in question["text"]
    [closing] = await chat.tap(question, f"rate:{value}")
    assert "ex:menu" in payloads(closing)  # another exercise, never a dead end
    return closing["text"]


# --- each exercise, start to finish --------------------------------------------------------


async def test_breathing_step_by_step(start_bot, fake_tg):
    runner = await start_bot()
    chat = Chat(fake_tg, 5101)
    [mode] = await rate_before(chat, await open_from_menu(chat, "breathing"), 7)
    [step] = await chat.tap(mode, "mode:tap")
    for round_no in range(1, 4):
        assert f"Round {round_no} of 4" in step["text"]
        [step] = await chat.tap(step, "next")
    assert "Round 4 of 4" in step["text"]
    done, after = await chat.tap(step, "next", n=2)
    assert "four rounds" in done["text"]
    assert "From 7 to 3" in await finish(chat, after, 3)
    [rating] = await runner.store.exercise_ratings(5101)
    assert (rating["name"], rating["before"], rating["after"]) == ("breathing", 7, 3)


async def test_paced_breathing_counts_by_editing_one_message(start_bot, fake_tg):
    runner = await start_bot(tempo=FAST)
    chat = Chat(fake_tg, 5102)
    [mode] = await rate_before(chat, await open_from_menu(chat, "breathing"), 6)
    [paced] = await chat.tap(mode, "mode:timed")
    assert "Breathe in" in paced["text"] and "Round 1 of 4" in paced["text"]
    assert payload(paced, "stop")
    done, after = await chat.replies(2)
    assert "four rounds" in done["text"]
    edits = chat.edits()
    assert edits, "the counts are shown by editing the paced message"
    assert all(e.params["message_id"] == edits[0].params["message_id"] for e in edits)
    assert "Still 6" in await finish(chat, after, 6)
    assert (await runner.store.exercise_ratings(5102))[0]["after"] == 6


async def test_paced_breathing_never_edits_a_chat_faster_than_once_a_second(start_bot, fake_tg):
    # A count every 0.25 s asks for four updates a second; the limiter must keep it to one.
    # Telegram's real windows here (the other tests run them scaled down).
    await start_bot(tempo=0.25, limiter=ChatLimiter())
    chat = Chat(fake_tg, 5103)
    [mode] = await rate_before(chat, await open_from_menu(chat, "breathing"), 5)
    [paced] = await chat.tap(mode, "mode:timed")
    await chat.replies(2)  # the pacing ran to its end (16 s of counts at this tempo)
    sends = [c for c in fake_tg.calls if c.method == "sendMessage" and "Round" in c.params["text"]]
    times = [sends[-1].at] + [e.at for e in chat.edits()]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(gaps) >= 10
    assert min(gaps) >= 1.0, gaps


async def test_five_senses_typed_or_tapped(start_bot, fake_tg):
    runner = await start_bot()
    chat = Chat(fake_tg, 5104)
    [see] = await rate_before(chat, await open_from_menu(chat, "five_senses"), 8)
    assert "five things you can see" in see["text"]
    [touch] = await chat.say("the lamp, a mug, my shoes, the window, a plant")
    assert "four things you can touch" in touch["text"]
    [hear] = await chat.tap(touch, "next")
    [smell] = await chat.say("a car outside")
    [taste] = await chat.tap(smell, "next")
    assert "taste" in taste["text"]
    done, after = await chat.say("coffee", n=2)
    assert "in this room" in done["text"]
    await finish(chat, after, 4)
    assert [(r["before"], r["after"]) for r in await runner.store.exercise_ratings(5104)] == [
        (8, 4)
    ]


async def test_self_talk(start_bot, fake_tg):
    await start_bot()
    chat = Chat(fake_tg, 5105)
    [pick] = await rate_before(chat, await open_from_menu(chat, "self_talk"), 5)
    [repeat] = await chat.tap(pick, "pick:human")
    assert "It makes me human" in repeat["text"]
    done, after = await chat.tap(repeat, "done", n=2)
    assert "Keep that sentence" in done["text"]
    assert "From 5 to 2" in await finish(chat, after, 2)


async def test_journal_keeps_answers_only_with_consent(start_bot, fake_tg):
    runner = await start_bot()
    chat = Chat(fake_tg, 5106)
    [consent] = await rate_before(chat, await open_from_menu(chat, "journal"), 6)
    [question] = await chat.tap(consent, "consent:no")
    kept, after = await chat.say("i need him to tell me the truth", n=2)
    assert "haven't kept" in kept["text"]
    await finish(chat, after, 5)
    assert await runner.store.journal_entries(5106) == []

    [consent] = await rate_before(chat, await open_from_menu(chat, "journal"), 6)  # asked again
    [question] = await chat.tap(consent, "consent:yes")
    kept, after = await chat.say("honesty, even when it is awkward", n=2)
    assert "Saved to your journal" in kept["text"]
    await finish(chat, after, 4)
    [entry] = await runner.store.journal_entries(5106)
    assert entry["entry"] == "honesty, even when it is awkward"
    assert entry["prompt"] in question["text"]

    [first] = await rate_before(chat, await open_from_menu(chat, "journal"), 3)
    assert "Here's the question" in first["text"]  # consent given once is not asked again
    [shown] = await chat.say("/journal")
    assert "honesty, even when it is awkward" in shown["text"]
    [gone] = await chat.say("/forget_journal")
    assert "removed: 1" in gone["text"]
    assert await runner.store.journal_entries(5106) == []


async def test_body_reset(start_bot, fake_tg):
    await start_bot()
    chat = Chat(fake_tg, 5107)
    [tips] = await rate_before(chat, await open_from_menu(chat, "body_reset"), 4)
    assert "•" in tips["text"]
    [after] = await chat.tap(tips, "done")
    assert "From 4 to 3" in await finish(chat, after, 3)


async def test_urge_delay_comes_back_after_ten_minutes(start_bot, fake_tg):
    clock = Clock()
    runner = await start_bot(tempo=FAST, clock=clock, due_interval=0.05)
    chat = Chat(fake_tg, 5108)
    urge = await open_from_menu(chat, "urge_delay")
    [rate] = await chat.tap(urge, "pick:phone")
    assert "urge to check their phone" in rate["text"]
    lead, paced = await rate_before(chat, rate, 8, n=2)
    assert "one minute of slow breathing" in lead["text"] and "Round 1" in paced["text"]
    [wait] = await chat.replies()
    assert "ten minutes" in wait["text"]
    clock.now += 599
    await asyncio.sleep(0.5)
    assert len(fake_tg.sent(5108)) == chat.seen  # not a moment early
    clock.now += 2
    [followup] = await chat.replies()
    assert "Ten minutes have passed" in followup["text"] and "their phone" in followup["text"]
    closing = await finish(chat, followup, 3)
    assert "from 8 to 3" in closing
    [rating] = await runner.store.exercise_ratings(5108)
    assert (rating["name"], rating["before"], rating["after"]) == ("urge_delay", 8, 3)


async def test_urge_delay_with_an_urge_of_their_own(start_bot, fake_tg):
    runner = await start_bot(tempo=FAST)
    chat = Chat(fake_tg, 5109)
    urge = await open_from_menu(chat, "urge_delay")
    [name_it] = await chat.tap(urge, "pick:other")
    [rate] = await chat.say("text her best friend to ask where she is")
    assert "How strong is the urge right now" in rate["text"]
    await rate_before(chat, rate, 9, n=2)
    await chat.replies()  # the wait
    [run] = await runner.store.exercises_in_step("waiting", 5109)
    assert "friend" not in str(run["state"])  # what they typed was for them, not kept


# --- from an intent ------------------------------------------------------------------------


async def test_an_anxiety_spike_is_offered_breathing_and_a_typed_yes_starts_it(start_bot, fake_tg):
    await start_bot()
    chat = Chat(fake_tg, 5110)
    spike, offer = await chat.say(
        "its been 5 hours since he texted back and my chest is so tight", 2
    )
    assert "ex:start:breathing" in payloads(offer)
    [before] = await chat.say("yes please")
    assert "how intense is it" in before["text"]


async def test_a_checking_urge_is_offered_the_urge_delay(start_bot, fake_tg):
    await start_bot()
    chat = Chat(fake_tg, 5111)
    _, offer = await chat.say("i want to go through his phone while hes in the shower", 2)
    [urge] = await chat.tap(offer, "ex:start:urge_delay")
    assert payload(urge, "pick:phone")


# The exercises no reply offers directly start from the request_grounding intent's menu; the
# step after the before-rating shows each one began.
FROM_REQUEST = {
    "five_senses": "five things you can see",
    "self_talk": "Pick the sentence",
    "journal": "keep your journal answers",
    "body_reset": "•",
}


@pytest.mark.parametrize("name", list(FROM_REQUEST))
async def test_every_other_exercise_starts_from_asking_for_one(start_bot, fake_tg, name):
    await start_bot()
    chat = Chat(fake_tg, 5400 + list(FROM_REQUEST).index(name))
    [menu] = await chat.say("i need something to calm down, any exercises?")
    [before] = await chat.tap(menu, f"ex:start:{name}")
    [first] = await rate_before(chat, before, 6)
    assert FROM_REQUEST[name] in first["text"] and payload(first, "stop")


async def test_asking_for_an_exercise_opens_the_menu(start_bot, fake_tg):
    await start_bot()
    chat = Chat(fake_tg, 5112)
    [menu] = await chat.say("can you give me a calming exercise")
    assert {f"ex:start:{n}" for n in ("breathing", "five_senses", "urge_delay")} <= set(
        payloads(menu)
    )


# --- stop, restart, crisis, two people -----------------------------------------------------


async def test_stop_midway_by_button_and_by_typing(start_bot, fake_tg):
    runner = await start_bot()
    chat = Chat(fake_tg, 5113)
    [see] = await rate_before(chat, await open_from_menu(chat, "five_senses"), 6)
    [touch] = await chat.tap(see, "next")
    [stopped] = await chat.tap(touch, "stop")
    assert "/ground" in stopped["text"]
    assert await runner.store.open_exercise(5113) is None
    [stale] = await chat.tap(touch, "next")  # an old button after the stop
    assert "already ended" in stale["text"]

    [pick] = await rate_before(chat, await open_from_menu(chat, "self_talk"), 6)
    [stopped] = await chat.say("stop")
    assert "Stopped" in stopped["text"]
    [outcome] = {r["outcome"] for r in await runner.store.exercise_ratings(5113)}
    assert outcome == "stopped"


async def test_stop_during_paced_breathing_ends_the_counting(start_bot, fake_tg):
    runner = await start_bot(tempo=0.5)
    chat = Chat(fake_tg, 5114)
    [mode] = await rate_before(chat, await open_from_menu(chat, "breathing"), 6)
    [paced] = await chat.tap(mode, "mode:timed")
    await asyncio.sleep(1.5)
    [stopped] = await chat.tap(paced, "stop")
    assert "Stopped" in stopped["text"]
    await fake_tg.settle(quiet=1.5)
    assert chat.seen == len(fake_tg.sent(5114))  # no "done", no rating after a stop
    closing = [c for c in fake_tg.calls if c.method == "editMessageText"][-1]
    assert "stopped" in closing.params["text"]
    assert await runner.store.open_exercise(5114) is None


async def test_a_restart_mid_exercise_resumes_it(start_bot, fake_tg, tmp_path):
    first = await start_bot()
    chat = Chat(fake_tg, 5115)
    [see] = await rate_before(chat, await open_from_menu(chat, "five_senses"), 7)
    [touch] = await chat.tap(see, "next")
    await first.stop()
    await start_bot()
    [hear] = await chat.tap(touch, "next")  # the old message's button still works
    assert "Three things you can hear" in hear["text"]


async def test_a_restart_during_paced_breathing_offers_to_carry_on(start_bot, fake_tg):
    first = await start_bot(tempo=0.5)
    chat = Chat(fake_tg, 5116)
    [mode] = await rate_before(chat, await open_from_menu(chat, "breathing"), 7)
    await chat.tap(mode, "mode:timed")
    await asyncio.sleep(1.2)
    await first.stop()
    await start_bot(tempo=FAST)
    [offer] = await chat.replies()
    assert "carry on" in offer["text"].lower() and "Slow breathing" in offer["text"]
    [paced] = await chat.tap(offer, "resume")
    assert "Round 1 of 4" in paced["text"]
    done, after = await chat.replies(2)
    assert "four rounds" in done["text"]
    assert "From 7 to 2" in await finish(chat, after, 2)


async def test_the_urge_follow_up_survives_a_restart(start_bot, fake_tg):
    clock = Clock()
    first = await start_bot(tempo=FAST, clock=clock)
    chat = Chat(fake_tg, 5117)
    [rate] = await chat.tap(await open_from_menu(chat, "urge_delay"), "pick:socials")
    await rate_before(chat, rate, 7, n=2)
    await chat.replies()  # the wait
    await first.stop()
    clock.now += 601
    await start_bot(clock=clock, due_interval=0.05)
    [followup] = await chat.replies()
    assert "go through their socials" in followup["text"]
    await fake_tg.settle(quiet=0.5)
    assert chat.seen == len(fake_tg.sent(5117))  # sent once, not once per poll


async def test_a_crisis_mid_exercise_ends_it_and_its_follow_up(start_bot, fake_tg):
    clock = Clock()
    runner = await start_bot(tempo=FAST, clock=clock, due_interval=0.05)
    chat = Chat(fake_tg, 5118)
    [rate] = await chat.tap(await open_from_menu(chat, "urge_delay"), "pick:location")
    await rate_before(chat, rate, 9, n=2)
    await chat.replies()  # parked, waiting ten minutes
    [see] = await rate_before(chat, await open_from_menu(chat, "five_senses"), 9)
    crisis, stay = await chat.say("i want to kill myself", n=2)
    assert await runner.store.is_quiet(5118)
    assert await runner.store.open_exercise(5118) is None
    clock.now += 700
    await fake_tg.settle(quiet=0.5)
    assert chat.seen == len(fake_tg.sent(5118))  # no follow-up after a crisis


async def test_two_people_exercising_at_once_never_see_each_others_steps(start_bot, fake_tg):
    await start_bot(tempo=FAST)
    anna, ben = Chat(fake_tg, 5119), Chat(fake_tg, 5120)
    anna_first, ben_first = await asyncio.gather(
        open_from_menu(anna, "five_senses"), open_from_menu(ben, "breathing")
    )
    [see], [mode] = await asyncio.gather(
        rate_before(anna, anna_first, 8), rate_before(ben, ben_first, 3)
    )
    [touch], [paced] = await asyncio.gather(anna.say("a red chair"), ben.tap(mode, "mode:timed"))
    assert "touch" in touch["text"] and "Round" in paced["text"]
    (hear,), (done, _after) = await asyncio.gather(anna.tap(touch, "next"), ben.replies(2))
    assert "hear" in hear["text"] and "four rounds" in done["text"]
    for message in fake_tg.sent(5119):
        assert "Round" not in message["text"]
        assert all(_run_of(p) in _runs(anna) for p in payloads(message) if _is_run(p))
    for message in fake_tg.sent(5120):
        assert "can see" not in message["text"] and "touch" not in message["text"]
    assert not _runs(anna) & _runs(ben)


def _run_of(data: str) -> str:
    return data.split(":")[1]


def _is_run(data: str) -> bool:
    return re.fullmatch(r"ex:\d+:.*", data) is not None


def _runs(chat: Chat) -> set[str]:
    return {_run_of(p) for m in chat.tg.sent(chat.user) for p in payloads(m) if _is_run(p)}


@pytest.mark.parametrize("text", ["7", "7/10", "about 7", "7 out of 10"])
async def test_a_typed_rating_counts(start_bot, fake_tg, text):
    runner = await start_bot()
    user = 5130 + len(text)
    chat = Chat(fake_tg, user)
    await open_from_menu(chat, "body_reset")
    await chat.say(text)
    assert (await runner.store.open_exercise(user))["before"] == 7


# Each exercise to a middle step, a restart, one more step on the old message's button, then
# Stop: (name, taps before the restart, the tap after it, text the step after it shows, replies).
MIDWAY = [
    ("breathing", ["rate:5", "mode:tap"], "next", "Round 2 of 4", 1),
    ("five_senses", ["rate:5"], "next", "four things you can touch", 1),
    ("urge_delay", ["pick:messages"], "rate:7", "Breathe in", 2),
    ("self_talk", ["rate:5"], "pick:self_trust", "I can hear my gut", 1),
    ("journal", ["rate:5"], "consent:yes", "Here's the question", 1),
    ("body_reset", [], "rate:4", "•", 1),
]


@pytest.mark.parametrize(
    ("name", "before", "after", "shows", "n"), MIDWAY, ids=[m[0] for m in MIDWAY]
)
async def test_every_exercise_survives_a_restart_and_stops_midway(
    start_bot, fake_tg, name, before, after, shows, n
):
    first = await start_bot(tempo=0.5)
    chat = Chat(fake_tg, 5200 + [m[0] for m in MIDWAY].index(name))
    step = await open_from_menu(chat, name)
    for action in before:
        [step] = await chat.tap(step, action)
    await first.stop()
    runner = await start_bot(tempo=0.5)
    replies = await chat.tap(step, after, n=n)
    assert shows in replies[-1]["text"]
    [stopped] = await chat.tap(replies[-1], "stop")
    assert "Stopped" in stopped["text"]
    await fake_tg.settle(quiet=1.2)
    assert await runner.store.open_exercise(chat.user) is None
    assert await runner.store.exercises_in_step("waiting", chat.user) == []
    assert len(fake_tg.sent(chat.user)) == chat.seen  # nothing after the stop, no follow-up


async def test_a_double_tap_on_count_for_me_paces_once(start_bot, fake_tg):
    await start_bot(tempo=FAST)
    chat = Chat(fake_tg, 5300)
    [mode] = await rate_before(chat, await open_from_menu(chat, "breathing"), 5)
    first_tap = {**mode, "message_id": 77, "chat": {"id": chat.user, "type": "private"}, "date": 0}
    await fake_tg.tap(chat.user, first_tap, payload(mode, "mode:timed"))
    [paced] = await chat.tap(mode, "mode:timed")
    assert "Round 1" in paced["text"]
    await chat.replies(2)  # done, and the after rating
    await fake_tg.settle(quiet=1.0)
    assert len(fake_tg.sent(chat.user)) == chat.seen
