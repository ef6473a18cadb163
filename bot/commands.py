"""One table of commands. Telegram's handlers and command menu, the console chat and `/help`
all read it, so a command is added in one row (plus its handler) and they cannot drift apart.

A handler takes the conversation, the person and the command's arguments and returns replies.
A command that needs the channel itself (`/clear` deletes Telegram messages) has no core handler:
its channel registers one under the same name.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot import export
from bot.payloads import CheckinStart, ScheduleStep
from bot.replies import Attachment, Reply
from bot.texts import text

if TYPE_CHECKING:
    from bot.conversation import Conversation

Handler = Callable[["Conversation", int, list[str]], Awaitable[list[Reply]]]
TELEGRAM, CONSOLE = "telegram", "console"
BOTH = frozenset({TELEGRAM, CONSOLE})


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler | None  # None: the channel handles it itself
    channels: frozenset[str] = BOTH

    @property
    def description(self) -> str:
        """One line for Telegram's command menu and for /help (bot/data/messages.yml)."""
        return text(f"command_{self.name}")


async def _start(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return await conversation.start(user_id)


async def _help(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    # A dialogue response, so /help and "what can you do?" read the same.
    return await conversation.on_payload(user_id, "/help")


async def _sos(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return await conversation.sos(user_id)


async def _ground(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return await conversation.ground(user_id)


async def _journal(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return [Reply(await conversation.flow("exercises").journal_text(user_id))]


async def _forget(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return [conversation.forget_question()]


async def _export(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    """A copy of everything kept about the person, as two files (bot/export.py)."""
    record = await export.gather(conversation.store, user_id)
    everything = Attachment(export.JSON_NAME, export.as_json(record, time.time()))
    table = Attachment(export.CSV_NAME, export.as_csv(record))
    return [
        Reply(text("export_caption"), file=everything),
        Reply(text("export_table_caption"), file=table),
    ]


async def _privacy(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return conversation.flow("privacy").explain()


async def _settings(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return await conversation.flow("privacy").show(user_id)


async def _forget_journal(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return [Reply(await conversation.flow("exercises").forget_journal(user_id))]


async def _checkin(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return await conversation.on_payload(user_id, CheckinStart().pack())


async def _schedule(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return await conversation.on_payload(user_id, ScheduleStep("start").pack())


async def _pause(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return await conversation.flow("schedule").pause(user_id)


async def _resume(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return await conversation.flow("schedule").resume(user_id)


async def _history(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return await conversation.flow("checkin").history(user_id)


async def _country(conversation: Conversation, user_id: int, args: list[str]) -> list[Reply]:
    return await conversation.country(user_id, args[0] if args else None)


COMMANDS: tuple[Command, ...] = (
    Command("start", _start),
    Command("help", _help),
    Command("sos", _sos),
    Command("ground", _ground),
    Command("journal", _journal),
    Command("forget_journal", _forget_journal),
    Command("forget", _forget),
    Command("export", _export),
    Command("privacy", _privacy),
    Command("settings", _settings),
    Command("checkin", _checkin),
    Command("history", _history),
    Command("schedule", _schedule),
    Command("pause", _pause),
    Command("resume", _resume),
    Command("country", _country),
    Command("clear", None, frozenset({TELEGRAM})),
)


def on(channel: str) -> list[Command]:
    return [command for command in COMMANDS if channel in command.channels]


def find(name: str, channel: str) -> Command | None:
    return next((c for c in on(channel) if c.name == name), None)


def help_lines(channel: str) -> str:
    """The commands as /help lists them, in the table's order."""
    return "\n".join(f"/{c.name}: {c.description}" for c in on(channel))
