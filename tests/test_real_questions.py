"""`make eval`'s development-set figures, scored as the workplace's real-check scores them."""

from __future__ import annotations

from bot.model.real_questions import score, section

ROWS = [
    {"gold": "checking_urge", "safety": "none", "text": "a"},
    {"gold": "self_doubt|attachment_style", "safety": "none", "text": "b"},
    {"gold": "stay_or_leave", "safety": "none", "text": "c"},
    {"gold": "faq_therapy", "safety": "none", "text": "d"},
    {"gold": "out_of_scope", "safety": "none", "text": "e"},
    {"gold": "out_of_scope", "safety": "none", "text": "f"},
    {"gold": "out_of_scope", "safety": "self_harm", "text": "g"},
]
RECORDS = [
    {"intent": "checking_urge", "confidence": 0.9},
    {"intent": "attachment_style", "confidence": 0.8},  # either gold counts
    {"intent": "forgiveness", "confidence": 0.7, "also": "stay_or_leave"},  # the button is right
    {"intent": "out_of_scope", "confidence": 0.6},  # pushed off topic: wrong, not "confident"
    {"intent": "out_of_scope", "confidence": 0.9},
    {"intent": "vent", "confidence": 0.4, "fallback": True},
    {"intent": "self_harm", "confidence": 0.9, "safety": "self_harm"},
]


def test_the_figures_follow_the_real_check_rules():
    figures = score(ROWS, RECORDS)
    assert (figures.in_scope, figures.right, figures.confidently_wrong) == (4, 2, 1)
    assert figures.right_or_also == 3
    assert (figures.off_topic, figures.off_topic_found) == (3, 1)
    assert (figures.said_off_topic, figures.said_off_topic_right) == (2, 1)
    assert (figures.crisis, figures.crisis_flagged) == (1, 1)
    assert figures.misses[0] == (0.7, "stay_or_leave", "forgiveness", "c")
    text = section(figures, "2026-12-07")
    assert "right 0.50 (with the second thread's button 0.75), confidently wrong 0.25" in text
    assert "off-topic recall 0.33, precision 0.50" in text
