"""The one place that talks to Telegram: handlers, rendering, commands."""

from __future__ import annotations

import logging
import re
import traceback

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import MessageLimit
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.conversation import Conversation
from bot.dialogue import Button, Reply
from bot.logs import user_tag
from bot.settings import Settings
from bot.texts import text

logger = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "Begin, or see what I can do"),
    BotCommand("help", "What to write and which commands exist"),
    BotCommand("sos", "Urgent help: crisis and abuse helplines"),
]

# Callback data comes back from the client, so only accept our own intent payloads: anything
# else could smuggle text past the safety screen.
_PAYLOAD_RE = re.compile(r"^/[a-z_]{1,60}$")
_CALLBACK_LIMIT = 64  # bytes, Telegram's limit on callback data

PRIVATE = filters.ChatType.PRIVATE


def build_application(
    settings: Settings, conversation: Conversation, rate_limit: bool = True
) -> Application:
    builder = ApplicationBuilder().token(settings.token or "")
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=2))
    app = builder.build()
    app.bot_data["conversation"] = conversation

    app.add_handler(TypeHandler(Update, _skip_redelivered), group=-1)
    app.add_handler(CommandHandler("start", _on_start, filters=PRIVATE))
    app.add_handler(CommandHandler("help", _on_help, filters=PRIVATE))
    app.add_handler(CommandHandler("sos", _on_sos, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(_on_button))
    app.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE & filters.TEXT, _on_edit)
    )
    app.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE & filters.CAPTION, _on_edit)
    )
    message = PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(message & filters.COMMAND, _on_unknown_command))
    app.add_handler(MessageHandler(message & filters.TEXT, _on_text))
    app.add_handler(MessageHandler(message & filters.CAPTION, _on_caption))
    app.add_handler(MessageHandler(message, _on_non_text))
    app.add_error_handler(_on_error)
    return app


async def announce_commands(app: Application) -> None:
    """The command menu in Telegram's UI; a failure here must not stop the bot."""
    try:
        await app.bot.set_my_commands(COMMANDS)
    except TelegramError as error:
        logger.warning("Could not set the command menu: %s", type(error).__name__)


def _conversation(context: ContextTypes.DEFAULT_TYPE) -> Conversation:
    return context.application.bot_data["conversation"]


async def _skip_redelivered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram redelivers updates a crashed bot never confirmed; answer each only once."""
    if not await _conversation(context).store.claim_update(update.update_id):
        logger.info("skipping redelivered update %s", update.update_id)
        raise ApplicationHandlerStop


async def _on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    replies = await _conversation(context).start(update.effective_user.id)
    await send_replies(update, replies)


async def _on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # The help text is a dialogue response, so /help and "what can you do?" read the same.
    replies = await _conversation(context).on_payload(update.effective_user.id, "/help")
    await send_replies(update, replies)


async def _on_sos(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_replies(update, [Reply(text("sos"))])


async def _on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    replies = await _conversation(context).on_text(update.effective_user.id, update.message.text)
    await send_replies(update, replies)


async def _on_caption(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    replies = await _conversation(context).on_text(
        update.effective_user.id, update.message.caption
    )
    await send_replies(update, [Reply(text("caption_note")), *replies])


async def _on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    edited = update.edited_message
    replies = await _conversation(context).on_edit(
        update.effective_user.id, edited.text or edited.caption or ""
    )
    await send_replies(update, replies)


async def _on_non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_replies(update, [Reply(text("non_text"))])


async def _on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_replies(update, [Reply(text("unknown_command"))])


async def _on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    payload = query.data or ""
    if not _PAYLOAD_RE.match(payload) or query.message is None:
        return
    await _mark_chosen(query, payload)
    replies = await _conversation(context).on_payload(update.effective_user.id, payload)
    await send_replies(update, replies)


async def _mark_chosen(query, payload: str) -> None:
    """Drop the keyboard (no double taps) and show which option was picked."""
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
    try:
        if title and message.text:
            await query.edit_message_text(f"{message.text}\n\n→ {title}")
        else:
            await query.edit_message_reply_markup(None)
    except TelegramError:
        pass  # the message may be too old to edit; the tap still counts


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    # Type and stack only: exception messages can quote what the person wrote.
    stack = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    who = ""
    if isinstance(update, Update) and update.effective_user:
        who = f" for user {user_tag(update.effective_user.id)}"
    logger.error("%s while handling an update%s\n%s", type(error).__name__, who, stack)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await update.get_bot().send_message(update.effective_chat.id, text("error"))
        except TelegramError:
            pass


async def send_replies(update: Update, replies: list[Reply]) -> None:
    chat_id = update.effective_chat.id
    bot = update.get_bot()
    for reply in replies:
        chunks = split_text(reply.text) if reply.text else []
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await bot.send_message(
                chat_id, chunk, reply_markup=keyboard(reply.buttons) if last else None
            )


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(b.title, callback_data=b.payload)]
        for b in buttons
        if len(b.payload.encode()) <= _CALLBACK_LIMIT
    ]
    return InlineKeyboardMarkup(rows) if rows else None


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
