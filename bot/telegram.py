"""The one place that talks to Telegram: turns from the inbox, handlers, rendering into outbox
rows, and sending those rows (bot/outbox.py drives when)."""

from __future__ import annotations

import asyncio
import base64
import contextvars
import json
import logging
import time
import traceback

from telegram import (
    BotCommand,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import MessageLimit
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import commands
from bot.conversation import Conversation
from bot.http import AiohttpRequest
from bot.logs import Every, user_tag
from bot.outbox import FIRST_PRIORITY
from bot.pacing import ChatLimiter, play
from bot.payloads import LIMIT
from bot.replies import Button, Pace, Reply
from bot.settings import Settings
from bot.store import Store
from bot.texts import text

logger = logging.getLogger(__name__)

# Telegram lets a bot delete messages in a private chat only within 48 hours; keep a margin.
DELETABLE_SECONDS = 48 * 3600 - 300

PRIVATE = filters.ChatType.PRIVATE

# An attachment's kind (bot/replies.py) and the Bot API method that sends it.
_FILE_METHODS = {"photo": "sendPhoto", "document": "sendDocument"}
_FILE_KINDS = {method: kind for kind, method in _FILE_METHODS.items()}


# A turn's sends, collected while its handlers run and recorded with the turn (handle_turn).
_TURN: contextvars.ContextVar[list | None] = contextvars.ContextVar("turn", default=None)
_POISON_LOG = Every(60.0)


def build_application(
    settings: Settings,
    conversation: Conversation,
    store: Store,
    limiter: ChatLimiter | None = None,
) -> Application:
    """python-telegram-bot for its Bot client and handler dispatch; updates come from our own
    intake (bot/intake.py), so it has no updater, and sends go through the outbox."""
    builder = (
        ApplicationBuilder()
        .token(settings.token or "")
        .updater(None)
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    app = builder.build()
    app.bot_data["conversation"] = conversation
    app.bot_data["store"] = store
    app.bot_data["limiter"] = limiter or ChatLimiter()
    app.bot_data["pacers"] = set()
    app.bot_data["wake_sender"] = lambda first=False: None

    for command in commands.on(commands.TELEGRAM):
        handler = _core_command(command) if command.handler else _OWN_COMMANDS[command.name]
        app.add_handler(CommandHandler(command.name, handler, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(_on_button))
    app.add_handler(ChatMemberHandler(_on_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE & filters.TEXT, _on_edit)
    )
    app.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE & filters.CAPTION, _on_edit)
    )
    message = PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(message & filters.COMMAND, _on_unknown_command))
    app.add_handler(MessageHandler(message & filters.CAPTION, _on_caption))
    app.add_handler(MessageHandler(message, _on_non_text))
    app.add_error_handler(_on_error)
    return app


async def announce_commands(app: Application) -> None:
    """The command menu in Telegram's UI; a failure here must not stop the bot."""
    menu = [BotCommand(c.name, c.description) for c in commands.on(commands.TELEGRAM)]
    try:
        await app.bot.set_my_commands(menu)
    except TelegramError as error:
        logger.warning("Could not set the command menu: %s", type(error).__name__)


def _conversation(context: ContextTypes.DEFAULT_TYPE) -> Conversation:
    return context.application.bot_data["conversation"]


async def handle_turn(app: Application, chat_id: int, rows: list[tuple[int, str, str]]) -> int:
    """One turn of a chat (bot/turns.py): the texts waiting at its head together, or else its
    first update alone. Records the turn done with its sends in one transaction; returns how
    many rows it took."""
    conversation: Conversation = app.bot_data["conversation"]
    store: Store = app.bot_data["store"]
    raws = [_json(body) for _, _, body in rows]
    texts = 0
    while texts < len(rows) and _plain_text(rows[texts][1], raws[texts]):
        texts += 1
    taken = rows[: texts or 1]
    updates, poison = [], []
    for (update_id, kind, _), raw in zip(taken, raws, strict=False):
        try:
            updates.append(Update.de_json(raw, app.bot))
        except Exception as error:  # noqa: BLE001 - whatever the library cannot read
            poison.append(update_id)
            if _POISON_LOG.now():
                # The id and kind only: the body may hold what someone wrote.
                logger.warning(
                    "skipped update %s (%s) that could not be read: %s (%d similar left out)",
                    update_id,
                    kind,
                    type(error).__name__,
                    _POISON_LOG.skipped,
                )
    if poison:
        await store.finish_turn(poison, "unreadable")
    sends: list = []
    outcome = "done"
    if updates:
        token = _TURN.set(sends)
        try:
            await _remember_incoming(store, chat_id, updates)
            if texts:
                user_id = updates[0].effective_user.id
                said = [u.message.text for u in updates]
                sends.extend(render(chat_id, await conversation.on_text(user_id, said)))
            else:
                await app.process_update(updates[0])  # its handlers' errors go to _on_error
        except Exception as error:  # noqa: BLE001 - the text path's own failure
            outcome = "failed"
            _log_failure(error, "handling a turn", chat_id)
            sends.append(render(chat_id, [Reply(text("error"))])[0])
        finally:
            _TURN.reset(token)
        await store.finish_turn([u.update_id for u in updates], outcome, sends)
    if sends:
        app.bot_data["wake_sender"](any(send[1] for send in sends))
    return len(taken)


def _json(body: str | None):
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _plain_text(kind: str, raw) -> bool:
    """A message in a private chat that is text and no command: what may share a turn."""
    message = raw.get("message") if isinstance(raw, dict) and kind == "message" else None
    if not isinstance(message, dict) or not isinstance(message.get("text"), str):
        return False
    if (message.get("chat") or {}).get("type") != "private":
        return False
    entities = message.get("entities") or []
    return not any(
        isinstance(e, dict) and e.get("type") == "bot_command" and e.get("offset") == 0
        for e in entities
    )


async def _remember_incoming(store, chat_id: int, updates: list[Update]) -> None:
    """So /clear can delete the person's messages too, not only ours (one write per turn)."""
    messages = [u.message for u in updates if u.message]
    if messages:
        await store.remember_messages(
            chat_id, [m.message_id for m in messages], messages[-1].date.timestamp()
        )


def _core_command(command: commands.Command):
    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        replies = await command.handler(
            _conversation(context), update.effective_user.id, list(context.args or [])
        )
        await send_replies(update, context, replies)

    return run


async def _on_clear(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Deletes what Telegram lets a bot delete, and says plainly what stayed."""
    store: Store = context.application.bot_data["store"]
    chat_id = update.effective_chat.id
    cutoff = time.time() - DELETABLE_SECONDS
    deleted, failed = [], []
    for message_id, sent_at in await store.chat_messages(chat_id):
        if sent_at < cutoff:
            failed.append(message_id)
            continue
        try:
            await update.get_bot().delete_message(chat_id, message_id)
            deleted.append(message_id)
        except TelegramError:
            failed.append(message_id)
    await store.forget_messages(chat_id, deleted + failed)
    parts = [text("clear_done").format(deleted=len(deleted))] if deleted else []
    if failed:
        parts.append(text("clear_failed").format(failed=len(failed)))
    await send_replies(
        update, context, [Reply("\n\n".join(parts) if parts else text("clear_nothing"))]
    )


async def _on_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The person blocked the bot (their nudges stop) or unblocked it (they resume)."""
    change = update.my_chat_member
    if change.chat.type != "private":
        return
    blocked = change.new_chat_member.status == ChatMember.BANNED
    await context.application.bot_data["store"].set_blocked(change.chat.id, blocked)


# Commands of the table (bot/commands.py) that Telegram handles itself.
_OWN_COMMANDS = {"clear": _on_clear}


async def _on_caption(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    replies = await _conversation(context).on_text(update.effective_user.id, update.message.caption)
    await send_replies(update, context, [Reply(text("caption_note")), *replies])


async def _on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    edited = update.edited_message
    replies = await _conversation(context).on_edit(
        update.effective_user.id, edited.text or edited.caption or ""
    )
    await send_replies(update, context, replies)


async def _on_non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_replies(update, context, [Reply(text("non_text"))])


async def _on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_replies(update, context, [Reply(text("unknown_command"))])


async def _on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    try:
        await query.answer()  # only stops the spinner on the button; the tap still counts
    except TelegramError as error:
        logger.info("could not answer a button tap: %s", type(error).__name__)
    replies = await _conversation(context).on_payload(update.effective_user.id, query.data or "")
    if replies and isinstance(query.message, Message) and not _pacer_stop(query.message):
        _TURN.get().append(_mark_chosen(query, query.data))
    await send_replies(update, context, replies)


def _pacer_stop(message: Message) -> bool:
    """A paced exercise's message (its one button is Stop): the pacer writes its last state
    itself, and a second edit would race it."""
    rows = message.reply_markup.inline_keyboard if message.reply_markup else ()
    buttons = [b for row in rows for b in row]
    return len(buttons) == 1 and (buttons[0].callback_data or "").endswith(":stop")


def _mark_chosen(query, payload: str) -> tuple[int, int, str, str]:
    """Drop the keyboard (no double taps) and show which option was picked: an edit that goes
    out before the replies (a failed edit is given up; the tap still counts)."""
    message = query.message
    title = next(
        (
            b.text
            for row in (message.reply_markup.inline_keyboard if message.reply_markup else [])
            for b in row
            if b.callback_data == payload
        ),
        None,
    )
    chat_id = message.chat.id
    if title and message.text:
        body = {"message_id": message.message_id, "text": f"{message.text}\n\n→ {title}"}
        return (chat_id, 0, "editMessageText", json.dumps(body))
    return (chat_id, 0, "editMessageReplyMarkup", json.dumps({"message_id": message.message_id}))


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user if isinstance(update, Update) else None
    _log_failure(context.error, "handling an update", user.id if user else None)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await send_replies(update, context, [Reply(text("error"))])
        except Exception:  # noqa: BLE001 - the error handler itself must never raise
            logger.warning("could not tell the person about the error")


async def send_replies(
    update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply]
) -> None:
    await deliver(context.application, update.effective_chat.id, replies)


async def deliver(app: Application, chat_id: int, replies: list[Reply]) -> None:
    """Queues replies for a private chat (whose id is the person's id): inside a turn they are
    recorded with it; otherwise (a due follow-up, an offer after a restart, a pacer's last
    word) they are queued at once."""
    sends = render(chat_id, replies)
    turn = _TURN.get()
    if turn is not None:
        turn.extend(sends)
        return
    if sends:
        await app.bot_data["store"].queue_sends(sends)
        app.bot_data["wake_sender"](any(send[1] for send in sends))


def render(chat_id: int, replies: list[Reply]) -> list[tuple[int, int, str, str]]:
    """Replies as outbox rows (chat, priority, method, JSON body): long texts split to fit
    Telegram, buttons on the last part, a paced exercise as a row that starts its pacer."""
    sends = []
    for reply in replies:
        priority = FIRST_PRIORITY if reply.first else 0
        if reply.file is not None:
            file = reply.file
            # The bytes under the kind's name, as in rows queued before there were documents.
            body = {
                file.kind: base64.b64encode(file.data).decode(),
                "name": file.name,
                "caption": reply.text,
            }
            sends.append((chat_id, priority, _FILE_METHODS[file.kind], json.dumps(body)))
            continue
        chunks = split_text(reply.text) if reply.text else []
        for index, chunk in enumerate(chunks):
            body: dict = {"text": chunk}
            markup = keyboard(reply.buttons, reply.rows) if index == len(chunks) - 1 else None
            if markup is not None:
                body["reply_markup"] = markup.to_dict()
            sends.append((chat_id, priority, "sendMessage", json.dumps(body)))
        if reply.pace is not None:
            sends.append((chat_id, priority, "pace", json.dumps(_pace_body(reply.pace))))
    return sends


async def transmit(app: Application, row: dict) -> int | None:
    """Sends one outbox row (bot/outbox.py calls this); the new message's id, if any."""
    chat_id, body = row["chat_id"], json.loads(row["body"])
    method = row["method"]
    if method == "sendMessage":
        markup = body.get("reply_markup")
        message = await app.bot.send_message(
            chat_id,
            body["text"],
            reply_markup=InlineKeyboardMarkup.de_json(markup, app.bot) if markup else None,
        )
        return message.message_id
    if method in _FILE_KINDS:
        kind = _FILE_KINDS[method]
        send = app.bot.send_photo if kind == "photo" else app.bot.send_document
        upload = InputFile(base64.b64decode(body[kind]), filename=body.get("name"))
        message = await send(chat_id, upload, caption=body.get("caption") or None)
        return message.message_id
    if method == "editMessageText":
        await app.bot.edit_message_text(body["text"], chat_id, body["message_id"])
    elif method == "editMessageReplyMarkup":
        await app.bot.edit_message_reply_markup(chat_id, body["message_id"], reply_markup=None)
    elif method == "pace":
        # Pacing takes a minute; it runs beside the sender so "Stop" can be tapped meanwhile.
        task = asyncio.create_task(_pace(app, chat_id, _pace_of(body)))
        app.bot_data["pacers"].add(task)
        task.add_done_callback(app.bot_data["pacers"].discard)
    else:
        raise ValueError(f"unknown outbox method {method}")
    return None


def _pace_body(pace: Pace) -> dict:
    return {
        "run_id": pace.run_id,
        "token": pace.token,
        "frames": [list(frame) for frame in pace.frames],
        "stop": [pace.stop.title, pace.stop.payload],
        "paused": pace.paused,
        "flow": pace.flow,
    }


def _pace_of(body: dict) -> Pace:
    return Pace(
        body["run_id"],
        body["token"],
        tuple((frame, seconds) for frame, seconds in body["frames"]),
        Button(*body["stop"]),
        body["paused"],
        body.get("flow", "exercises"),  # rows queued before flows were named
    )


def _log_failure(error: BaseException | None, doing: str, chat_id: int | None) -> None:
    # Type and stack only: exception messages can quote what the person wrote.
    stack = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    who = f" for user {user_tag(chat_id)}" if chat_id is not None else ""
    logger.error("%s while %s%s\n%s", type(error).__name__, doing, who, stack)


class _PacedMessage:
    def __init__(self, app: Application, chat_id: int) -> None:
        self.app, self.chat_id, self.message_id = app, chat_id, None
        self.failed = False

    async def show(self, body: str, buttons: tuple[Button, ...]) -> None:
        if self.failed:
            return  # one failure (the message deleted with /clear) is enough to stop editing
        try:
            if self.message_id is None:
                message = await self.app.bot.send_message(
                    self.chat_id, body, reply_markup=keyboard(buttons)
                )
                self.message_id = message.message_id
                await self.app.bot_data["store"].remember_messages(
                    self.chat_id, [self.message_id], time.time()
                )
            else:
                await self.app.bot.edit_message_text(
                    body, self.chat_id, self.message_id, reply_markup=keyboard(buttons)
                )
        except TelegramError as error:  # e.g. the message was deleted with /clear
            self.failed = True
            logger.warning("pacing update failed: %s", type(error).__name__)

    async def close(self, body: str) -> None:
        if self.message_id is not None and not self.failed:
            try:
                await self.app.bot.edit_message_text(body, self.chat_id, self.message_id)
            except TelegramError as error:
                logger.warning("pacing close failed: %s", type(error).__name__)


async def _pace(app: Application, chat_id: int, pace: Pace) -> None:
    conversation: Conversation = app.bot_data["conversation"]
    try:
        finished = await play(
            pace,
            _PacedMessage(app, chat_id),
            chat_id,
            app.bot_data["limiter"],
            lambda: conversation.still_pacing(pace),
        )
        if finished:
            await deliver(app, chat_id, await conversation.paced_done(pace))
    except asyncio.CancelledError:
        raise
    except Exception as error:  # noqa: BLE001 - a pacer must never take the bot down
        stack = "".join(traceback.format_tb(error.__traceback__))
        logger.error("%s while pacing an exercise\n%s", type(error).__name__, stack)


async def cancel_pacers(app: Application) -> None:
    """On shutdown: the runs stay 'pacing' in the store and are offered again after a restart."""
    pacers = list(app.bot_data["pacers"])
    for task in pacers:
        task.cancel()
    await asyncio.gather(*pacers, return_exceptions=True)


def keyboard(
    buttons: tuple[Button, ...], rows: tuple[int, ...] = ()
) -> InlineKeyboardMarkup | None:
    usable = [
        InlineKeyboardButton(b.title, callback_data=b.payload)
        for b in buttons
        if len(b.payload.encode()) <= LIMIT
    ]
    layout: list[list[InlineKeyboardButton]] = []
    for size in rows:
        if usable[: max(size, 0)]:
            layout.append(usable[:size])
        usable = usable[size:]
    layout.extend([b] for b in usable)  # one per row for whatever the layout did not place
    return InlineKeyboardMarkup(layout) if layout else None


def split_text(body: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split at paragraph, then line, then word boundaries to fit Telegram's message limit."""
    chunks: list[str] = []
    rest = body.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = next(
            (pos for sep in ("\n\n", "\n", " ") if (pos := window.rfind(sep)) > limit // 2),
            limit,
        )
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks
