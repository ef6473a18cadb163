"""`python -m bot chat`: the same pipeline and store as Telegram, in a terminal."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from bot import commands
from bot.conversation import Conversation
from bot.dialogue import Dialogue
from bot.flows import Options
from bot.nudges import DueLoop
from bot.pacing import ChatLimiter, play
from bot.replies import Attachment, Button, Pace, Reply
from bot.settings import ROOT, Settings
from bot.store import Store
from bot.texts import text

# The console is one person; a negative id cannot collide with a Telegram user id.
CONSOLE_USER = -1
# A terminal shows no pictures and opens no documents: files (the /history chart, /export's
# record) are written here under their own names.
FILES = ROOT / "var" / "console-files"


def render(replies: list[Reply]) -> str:
    lines: list[str] = []
    for reply in replies:
        if reply.text:
            lines.append(f"bot> {reply.text}")
        if reply.rows:  # a scale (0-10, skip): one line per row, tapped by typing its title
            rest = list(reply.buttons)
            for size in reply.rows:
                row, rest = rest[:size], rest[size:]
                if row:
                    lines.append("     " + "  ".join(f"[{b.title}]" for b in row))
            lines.extend(f"     [{b.title}]" for b in rest)  # what the rows leave, one a line
            continue
        for number, button in enumerate(reply.buttons, start=1):
            lines.append(f"     [{number}] {button.title}")
    return "\n".join(lines)


def pick_button(line: str, last: list[Reply]) -> str | None:
    """Typing a button's number in a list taps it, as a tap would on Telegram. On a scale
    (0-10, skip) the typed title taps it, so "7" means 7 and "skip" skips."""
    for button in (b for r in last if r.rows for b in r.buttons):
        if button.title.casefold() == line.casefold():
            return button.payload
    listed = [b for r in last if not r.rows for b in r.buttons]
    if line.isdigit() and 1 <= int(line) <= len(listed):
        return listed[int(line) - 1].payload
    return None


def save(file: Attachment, folder: Path = FILES) -> Path:
    """Writes an attachment under its name, readable by this user alone like the database:
    an /export holds everything kept about the person."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / Path(file.name).name
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(file.data)
    return path


async def command(conversation: Conversation, line: str) -> list[Reply]:
    """The commands of the table (bot/commands.py) that make sense in a terminal."""
    name, *args = line.split()
    found = commands.find(name.removeprefix("/"), commands.CONSOLE)
    if found is None or found.handler is None:
        return [Reply(text("unknown_command"))]
    return await found.handler(conversation, CONSOLE_USER, args)


class _ConsoleLine:
    """A terminal cannot edit a printed line, so the counting prints one line per phase."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.phase = ""

    async def show(self, body: str, buttons: tuple[Button, ...]) -> None:
        lines = body.splitlines()
        phase = re.sub(r"\s*\d+\s*$", "", lines[0])
        if phase != self.phase:
            hint = "" if self.phase else "   (type stop to end)"
            self.phase = phase
            print(f"bot> {phase} · {lines[-1]}{hint}", file=self.session.stdout, flush=True)

    async def close(self, body: str) -> None:
        pass


class Session:
    """One console conversation: what is on screen, and the exercises playing beside input."""

    def __init__(self, conversation: Conversation, stdout) -> None:
        self.conversation = conversation
        self.stdout = stdout
        self.last: list[Reply] = []
        self.limiter = ChatLimiter()
        self.pacers: set[asyncio.Task] = set()

    def show(self, replies: list[Reply]) -> None:
        for reply in replies:
            if reply.file is not None:
                path = save(reply.file)
                print(f"bot> ({reply.file.kind} saved to {path})", file=self.stdout, flush=True)
        if replies:
            self.last = replies
            print(render(replies), file=self.stdout, flush=True)
        for reply in replies:
            if reply.pace is not None:
                task = asyncio.create_task(self._pace(reply.pace))
                self.pacers.add(task)
                task.add_done_callback(self.pacers.discard)

    async def send(self, user_id: int, replies: list[Reply]) -> None:
        self.show(replies)

    async def _pace(self, pace: Pace) -> None:
        conversation = self.conversation
        finished = await play(
            pace,
            _ConsoleLine(self),
            CONSOLE_USER,
            self.limiter,
            lambda: conversation.still_pacing(pace),
        )
        if finished:
            self.show(await conversation.paced_done(pace))

    async def handle(self, line: str) -> None:
        payload = pick_button(line, self.last)
        if payload:
            replies = await self.conversation.on_payload(CONSOLE_USER, payload)
        elif line.startswith("/"):
            replies = await command(self.conversation, line)
        else:
            replies = await self.conversation.on_text(CONSOLE_USER, line)
        self.show(replies)


async def chat(settings: Settings, stdin=sys.stdin, stdout=sys.stdout) -> int:
    store = await Store.open(settings.db_path, settings.data_key)
    dialogue = Dialogue(store)
    interactive = stdin.isatty()
    if interactive:
        print("Loading the model (about half a minute)...", file=stdout, flush=True)
    await dialogue.load(settings.model_path)
    options = Options.kept_as(settings)
    conversation = Conversation(store, dialogue, channel=commands.CONSOLE, options=options)
    session = Session(conversation, stdout)
    due = None
    try:
        session.show(await conversation.start(CONSOLE_USER))
        # Only the console person's own items: the database may be shared with the Telegram bot.
        mine = DueLoop(conversation.flows, store, session.send, user_id=CONSOLE_USER, sweep=options)
        await mine.resume()
        due = asyncio.create_task(mine.run())
        if interactive:
            print("(type a message; a number taps a button; Ctrl-D quits)", file=stdout)
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                print("you> ", end="", file=stdout, flush=True)
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            if line.strip():
                if not interactive:  # piped: the transcript shows both sides
                    print(f"you> {line.strip()}", file=stdout, flush=True)
                await session.handle(line.strip())
        # Piped input ends at once; let an exercise that is playing finish, as a person would.
        while session.pacers:
            await asyncio.gather(*session.pacers, return_exceptions=True)
    finally:
        if due is not None:
            due.cancel()
        await store.close()
    return 0
