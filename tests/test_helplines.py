"""The helplines file: every country has both kinds of line and an emergency number."""

from __future__ import annotations

import datetime as dt

import yaml

from bot import helplines

REQUIRED = {"US", "GB", "IE", "CA", "AU", "NZ", "IN", "DE", "FR", "ES", "NL", "ZA"}


def raw() -> dict:
    return yaml.safe_load(helplines.HELPLINES_FILE.read_text(encoding="utf-8"))


def check_line(line: dict) -> None:
    assert line.get("name"), line
    assert line.get("phone") or line.get("text") or line.get("url"), line
    if line.get("url"):
        assert line["url"].startswith("https://"), line


def test_every_required_country_is_covered():
    assert REQUIRED <= set(raw()["countries"])


def test_every_country_has_both_kinds_an_emergency_number_and_a_check_date():
    for code, entry in raw()["countries"].items():
        assert len(code) == 2 and code.isupper(), code
        assert entry["name"]
        assert str(entry["emergency"]).replace(" ", "").isdigit(), code
        assert isinstance(entry["checked"], dt.date), code
        for kind in helplines.KINDS:
            assert entry[kind], f"{code} has no {kind} line"
            for line in entry[kind]:
                check_line(line)
            dialable = [line for line in entry[kind] if line.get("phone") or line.get("text")]
            assert dialable, f"{code} {kind}: no number to call or text"


def test_fallback_points_to_international_directories():
    fallback = raw()["fallback"]
    assert fallback["emergency"] is None
    for kind in helplines.KINDS:
        assert fallback[kind]
        for line in fallback[kind]:
            check_line(line)


def test_unknown_country_gets_the_fallback():
    assert helplines.entry("XX") == raw()["fallback"]
    assert helplines.entry(None) == raw()["fallback"]
    assert helplines.emergency("XX") is None
    assert helplines.emergency("gb") == "999"


def test_lines_read_as_something_a_person_can_act_on():
    [samaritans, *_] = helplines.lines("crisis", "GB")
    assert samaritans.startswith("• Samaritans: call 116 123")
