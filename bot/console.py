"""`python -m bot chat`: the same pipeline and store as Telegram, in a terminal."""

from __future__ import annotations

import asyncio
import sys

from bot.conversation import Conversation, country_question
from bot.dialogue import Dialogue, Reply
from bot.settings import Settings
from bot.store import Store
from bot.texts import text

# The console is one person; a negative id cannot collide with a Telegram user id.
CONSOLE_USER = -1


def render(replies: list[Reply]) -> str:
    lines: list[str] = []
    for reply in replies:
        if reply.text:
            lines.append(f"bot> {reply.text}")
        for number, button in enumerate(reply.buttons, start=1):
            lines.append(f"     [{number}] {button.title}")
    return "\n".join(lines)


def pick_button(line: str, last: list[Reply]) -> str | None:
    """Typing a button's number taps it, as a tap would on Telegram."""
    buttons = [b for r in last for b in r.buttons]
    if line.isdigit() and 1 <= int(line) <= len(buttons):
        return buttons[int(line) - 1].payload
    return None


async def command(conversation: Conversation, line: str) -> list[Reply]:
    """The Telegram commands that make sense in a terminal (/clear has no chat to clear)."""
    name, *args = line.split()
    if name == "/start":
        return await conversation.start(CONSOLE_USER)
    if name == "/help":
        return await conversation.on_payload(CONSOLE_USER, "/help")
    if name == "/sos":
        return await conversation.sos(CONSOLE_USER)
    if name == "/country":
        if args:
            return await conversation.set_country(CONSOLE_USER, args[0])
        return [country_question()]
    return [Reply(text("unknown_command"))]


async def chat(settings: Settings, stdin=sys.stdin, stdout=sys.stdout) -> int:
    store = await Store.open(settings.db_path)
    dialogue = Dialogue(store)
    interactive = stdin.isatty()
    if interactive:
        print("Loading the model (about half a minute)...", file=stdout, flush=True)
    await dialogue.load(settings.model_path)
    conversation = Conversation(store, dialogue)
    try:
        last = await conversation.start(CONSOLE_USER)
        print(render(last), file=stdout, flush=True)
        if interactive:
            print("(type a message; a number taps a button; Ctrl-D quits)", file=stdout)
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                print("you> ", end="", file=stdout, flush=True)
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            payload = pick_button(line, last)
            if payload:
                last = await conversation.on_payload(CONSOLE_USER, payload)
            elif line.startswith("/"):
                last = await command(conversation, line)
            else:
                last = await conversation.on_text(CONSOLE_USER, line)
            print(render(last), file=stdout, flush=True)
    finally:
        await store.close()
    return 0
