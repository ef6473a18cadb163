"""Button payloads: packed and parsed in one place, within Telegram's 64 bytes, nothing else
accepted."""

from __future__ import annotations

import pytest
import yaml

from bot import payloads
from bot.payloads import (
    Country,
    ExerciseStart,
    ExerciseStep,
    Intent,
    PayloadTooLong,
    ReflectionAnswer,
    SafetyAnswer,
)
from bot.settings import ROOT


@pytest.mark.parametrize(
    "payload",
    [
        Intent("faq_therapy"),
        Country("GB"),
        Country("other"),
        SafetyAnswer("sos"),
        payloads.ExerciseMenu(),
        ExerciseStart("urge_delay"),
        ExerciseStep(123456789012, "rate", "skip"),
        ExerciseStep(7, "stop"),
        payloads.ReflectionStart("stay_or_leave"),
        ReflectionAnswer("unsure"),
        payloads.ReflectionStop(),
        payloads.SomethingElse(),
    ],
)
def test_every_kind_reads_back_as_itself(payload):
    packed = payload.pack()
    assert len(packed.encode()) <= payloads.LIMIT
    assert payloads.parse(packed) == payload


@pytest.mark.parametrize(
    "data",
    [
        "",
        None,
        "hello",
        "/help me",  # free text must never pass as an intent
        "/" + "a" * 70,
        "country:gb",
        "safety:maybe",
        "ex:start:../etc",
        "ex:12:rate:5:extra",
        "flow:answer:" + "x" * 30,
        "ex:menu\n",
        "nudge:snooze:9999-12-31",  # a day the calendar cannot step past
        "nudge:skip:2026-99-99",  # the right shape, no such day
    ],
)
def test_anything_else_is_refused(data):
    assert payloads.parse(data) is None


def test_a_payload_that_would_not_fit_or_read_back_is_never_built():
    with pytest.raises(PayloadTooLong):
        Intent("a" * 70).pack()
    with pytest.raises(PayloadTooLong):
        ExerciseStep(1, "rate", "NOT lower case").pack()


def test_every_button_in_the_domain_is_one_of_ours():
    responses = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]
    found = [
        button["payload"]
        for variations in responses.values()
        for variation in variations
        for button in variation.get("buttons", [])
    ]
    assert found
    assert [p for p in found if payloads.parse(p) is None] == []
