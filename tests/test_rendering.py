from __future__ import annotations

from bot.console import pick_button, render
from bot.replies import Button, Reply
from bot.telegram import keyboard, split_text


def test_short_text_is_one_message():
    assert split_text("hello") == ["hello"]


def test_long_text_splits_at_paragraphs_within_the_limit():
    paragraph = ("word " * 150).strip()
    body = "\n\n".join([paragraph] * 12)
    chunks = split_text(body, limit=4096)
    assert len(chunks) > 1
    assert all(len(c) <= 4096 for c in chunks)
    assert " ".join(" ".join(chunks).split()) == " ".join(body.split())  # nothing lost


def test_unbroken_text_is_cut_hard():
    chunks = split_text("x" * 9000, limit=4096)
    assert [len(c) for c in chunks] == [4096, 4096, 808]


def test_keyboard_drops_payloads_over_telegrams_64_bytes():
    markup = keyboard((Button("ok", "/affirm"), Button("long", "/" + "a" * 70)))
    assert [row[0].callback_data for row in markup.inline_keyboard] == ["/affirm"]
    assert keyboard(()) is None


def test_console_renders_buttons_and_numbers_tap_them():
    replies = [Reply("Shall we?", (Button("Yes", "/affirm"), Button("No", "/deny")))]
    assert render(replies) == "bot> Shall we?\n     [1] Yes\n     [2] No"
    assert pick_button("2", replies) == "/deny"
    assert pick_button("3", replies) is None
    assert pick_button("yes", replies) is None


def test_console_scale_is_tapped_by_its_titles():
    scale = Reply(
        "How intense?",
        tuple(Button(str(n), f"r{n}") for n in range(11)) + (Button("Skip", "skip"),),
        rows=(6, 5, 1),
    )
    listed = Reply("Then?", (Button("Next", "next"),))
    assert render([scale]).splitlines()[1] == "     [0]  [1]  [2]  [3]  [4]  [5]"
    assert pick_button("7", [scale, listed]) == "r7"  # the value, not the 7th button
    assert pick_button("skip", [scale, listed]) == "skip"
    assert pick_button("1", [scale, listed]) == "r1"
    assert pick_button("12", [listed]) is None
    assert pick_button("1", [listed]) == "next"
