"""Every response is grounded (names its guide section), paraphrased, and varied."""

from __future__ import annotations

import re

import pytest

from bot import payloads
from bot.flows.exercises import names as exercise_names
from bot.settings import ROOT

GUIDE = ROOT.parent / "shared" / "guide" / "trust-guide.txt"
SECTIONS = {
    "Introduction",
    "What trust issues mean",
    "Pillar 1",
    "Pillar 2",
    "Pillar 3",
    "Step 1",
    "Step 2",
    "Step 3",
    "Step 4",
    "Step 5",
    "Step 6",
    "Step 7",
    "Forgiveness",
    "Attachment styles",
    "Practical exercises",
    "Common mistakes",
    "FAQs",
    "Final thoughts",
    "Safety",  # our crisis policy, not the guide: used only by the hidden crisis signals
}
RUN = 8  # words in a row that would count as copying


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'").replace("'", ""))


def runs(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + RUN]) for i in range(len(w) - RUN + 1)}


@pytest.fixture(scope="module")
def guide_runs() -> set[tuple[str, ...]]:
    return runs(GUIDE.read_text(encoding="utf-8"))


def test_every_variation_names_a_guide_section(domain_responses):
    for name, variations in domain_responses.items():
        for variation in variations:
            source = (variation.get("metadata") or {}).get("source", "")
            named = {part.strip() for part in source.split(";") if part.strip()}
            assert named and named <= SECTIONS, f"{name}: source {source!r}"


def shown(domain_responses) -> dict[str, list[dict]]:
    """The variations a person reads, by response (crisis signals, exercise starters and the
    taps that start a flow carry only a payload)."""
    texts = {n: [x for x in v if "text" in x] for n, v in domain_responses.items()}
    return {n: v for n, v in texts.items() if v}


def test_the_fallback_is_marked_so_it_never_ends_in_a_dead_end(domain_responses):
    plain = [v for v in domain_responses["utter_default"] if "condition" not in v]
    assert plain and all(v["custom"] == {"fallback": True} for v in plain)
    # After an abuse disclosure, not understanding is answered with safety first, not topics.
    for variation in domain_responses["utter_default"]:
        if "condition" in variation:
            assert "/sos" in variation["text"] and "custom" not in variation


SIDE_TOPICS = {
    "partner_repair",
    "forgiveness",
    "common_mistakes",
    "set_boundaries",
    "faq_how_long",
    "faq_survive_betrayal",
}


def test_only_signals_starters_and_the_side_question_have_no_text(domain_responses):
    hidden = {n for n, v in domain_responses.items() if any("text" not in x for x in v)}
    assert hidden == {
        "utter_crisis_self_harm",
        "utter_crisis_abuse",
        "utter_start_breathing",
        "utter_start_urge_delay",
        "utter_grounding_menu",
        "utter_start_checkin",
        *(f"utter_{topic}" for topic in SIDE_TOPICS),
    }
    for name in hidden:
        [variation] = [v for v in domain_responses[name] if "text" not in v]
        custom = variation["custom"]
        if "crisis" in custom:
            assert custom["crisis"] in name and "condition" not in variation
        elif "tap" in custom:
            assert payloads.parse(custom["tap"]) is not None
            if name.removeprefix("utter_") in SIDE_TOPICS:
                # Which side? is asked (bot/flows/position.py) only while the side is unknown
                # and nothing was disclosed: the abuse variations come first.
                assert variation["condition"] == [
                    {"type": "slot", "name": "disclosure", "value": None},
                    {"type": "slot", "name": "position", "value": None},
                ]
                assert payloads.parse(custom["tap"]).topic == name.removeprefix("utter_")
        else:
            assert custom["exercise"] in ("menu", *exercise_names())


def test_side_variations_never_mix_with_the_safety_first_ones(domain_responses):
    for topic in SIDE_TOPICS:
        for variation in domain_responses[f"utter_{topic}"]:
            slots = {c["name"]: c["value"] for c in variation.get("condition", [])}
            if "position" in slots:
                assert slots["disclosure"] is None
                for side in ("hurt", "broke_trust", "fearful"):
                    assert any(
                        {"type": "slot", "name": "position", "value": side}
                        in v.get("condition", [])
                        for v in domain_responses[f"utter_{topic}"]
                    ), (topic, side)


def test_no_response_copies_eight_words_from_the_guide(domain_responses, guide_runs):
    for name, variations in shown(domain_responses).items():
        for variation in variations:
            copied = runs(variation["text"]) & guide_runs
            assert not copied, f"{name} copies: {' '.join(next(iter(copied)))}"


def test_copy_check_would_catch_a_copied_sentence(guide_runs):
    copied = "Boundaries aren't control. Learning how to heal from trust issues in a relationship"
    assert runs(copied) & guide_runs


def test_every_response_has_three_variations(domain_responses):
    for name, variations in shown(domain_responses).items():
        assert len(variations) >= 3, name
        assert len({v["text"] for v in variations}) == len(variations), name


def test_replies_fit_on_a_phone(domain_responses):
    for name, variations in shown(domain_responses).items():
        for variation in variations:
            assert len(variation["text"]) <= 700, name
            assert variation["text"].count("\n\n") <= 3, name


def _strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


@pytest.mark.parametrize("name", ["checkin.yml", "exercises.yml", "reflections.yml"])
def test_no_flow_text_copies_eight_words_from_the_guide(name, guide_runs):
    import yaml

    data = yaml.safe_load((ROOT / "bot" / "data" / name).read_text(encoding="utf-8"))
    for said in _strings(data):
        copied = runs(said) & guide_runs
        assert not copied, f"{name} copies: {' '.join(next(iter(copied)))}"


def test_every_check_in_idea_names_a_guide_section():
    import yaml

    data = yaml.safe_load((ROOT / "bot" / "data" / "checkin.yml").read_text(encoding="utf-8"))
    assert all(idea["source"] in SECTIONS for idea in data["week"]["ideas"])
    assert set(data["closing"]["sources"].values()) <= SECTIONS
