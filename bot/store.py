"""All per-user state in one SQLite file: schema, migrations and every SQL statement."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

import aiosqlite

from bot import logs
from bot.crypto import DataKeyError, Sealer

# Forward-only: entry N moves a database from user_version N to N+1. Never edit a shipped entry.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE users (
        user_id     INTEGER PRIMARY KEY,
        created_at  REAL NOT NULL,
        last_seen   REAL NOT NULL
    );
    CREATE TABLE tracker_events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        sender_id   TEXT NOT NULL,
        type_name   TEXT NOT NULL,
        data        TEXT NOT NULL
    );
    CREATE INDEX tracker_events_by_sender ON tracker_events (sender_id, id);
    CREATE TABLE processed_updates (
        update_id     INTEGER PRIMARY KEY,
        processed_at  REAL NOT NULL
    );
    """,
    """
    ALTER TABLE users ADD COLUMN country TEXT;
    ALTER TABLE users ADD COLUMN quiet_until REAL;
    CREATE TABLE chat_messages (
        chat_id     INTEGER NOT NULL,
        message_id  INTEGER NOT NULL,
        sent_at     REAL NOT NULL,
        PRIMARY KEY (chat_id, message_id)
    );
    """,
    """
    CREATE TABLE reflections (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id      INTEGER NOT NULL,
        flow         TEXT NOT NULL,
        step         INTEGER NOT NULL,
        answers      TEXT NOT NULL,
        started_at   REAL NOT NULL,
        updated_at   REAL NOT NULL,
        finished_at  REAL
    );
    CREATE INDEX reflections_by_user ON reflections (user_id, finished_at);
    """,
    """
    CREATE TABLE exercises (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id      INTEGER NOT NULL,
        name         TEXT NOT NULL,
        step         TEXT NOT NULL,
        state        TEXT NOT NULL,
        before       INTEGER,
        after        INTEGER,
        due_at       REAL,
        started_at   REAL NOT NULL,
        updated_at   REAL NOT NULL,
        finished_at  REAL,
        outcome      TEXT
    );
    CREATE INDEX exercises_by_user ON exercises (user_id, finished_at);
    CREATE INDEX exercises_due ON exercises (due_at) WHERE due_at IS NOT NULL;
    ALTER TABLE users ADD COLUMN journal_consent INTEGER;
    CREATE TABLE journal (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id     INTEGER NOT NULL,
        prompt      TEXT NOT NULL,
        entry       TEXT NOT NULL,
        written_at  REAL NOT NULL
    );
    CREATE INDEX journal_by_user ON journal (user_id, id);
    """,
    """
    ALTER TABLE users ADD COLUMN disclosure TEXT;
    ALTER TABLE users ADD COLUMN disclosed_at REAL;
    CREATE TABLE safety_checks (
        user_id   INTEGER PRIMARY KEY,
        category  TEXT NOT NULL,
        held      TEXT,
        asked_at  REAL NOT NULL
    );
    """,
    # The durable inbox and outbox (bot/intake.py, bot/turns.py, bot/outbox.py). The inbox
    # also remembers answered update ids, the job processed_updates did.
    """
    CREATE TABLE inbox (
        update_id    INTEGER PRIMARY KEY,
        chat_id      INTEGER NOT NULL,
        kind         TEXT NOT NULL,
        body         TEXT,
        received_at  REAL NOT NULL,
        done_at      REAL,
        outcome      TEXT
    );
    CREATE INDEX inbox_pending ON inbox (chat_id, update_id) WHERE done_at IS NULL;
    INSERT INTO inbox (update_id, chat_id, kind, received_at, done_at, outcome)
        SELECT update_id, 0, 'unknown', processed_at, processed_at, 'done'
        FROM processed_updates;
    DROP TABLE processed_updates;
    CREATE TABLE outbox (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id     INTEGER NOT NULL,
        update_id   INTEGER,
        priority    INTEGER NOT NULL DEFAULT 0,
        method      TEXT NOT NULL,
        body        TEXT,
        created_at  REAL NOT NULL,
        not_before  REAL NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        sent_at     REAL,
        failed      TEXT
    );
    CREATE INDEX outbox_pending ON outbox (chat_id, priority DESC, id)
        WHERE sent_at IS NULL AND failed IS NULL;
    """,
    # Daily check-ins (bot/flows/checkin.py) and the schedule of their nudges
    # (bot/flows/schedule.py, bot/schedule.py). `due_day` is the person's local date the next
    # nudge is for and `sent_day` the last one sent: never two nudges for one day.
    """
    CREATE TABLE schedules (
        user_id     INTEGER PRIMARY KEY,
        zone        TEXT,
        at          TEXT,
        days        TEXT,
        asking      TEXT,
        paused      INTEGER NOT NULL DEFAULT 0,
        due_at      REAL,
        due_day     TEXT,
        sent_day    TEXT,
        updated_at  REAL NOT NULL
    );
    CREATE INDEX schedules_due ON schedules (due_at) WHERE due_at IS NOT NULL;
    ALTER TABLE users ADD COLUMN blocked_at REAL;
    CREATE TABLE checkins (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id      INTEGER NOT NULL,
        step         TEXT NOT NULL,
        mood         INTEGER,
        steadiness   INTEGER,
        tags         TEXT NOT NULL DEFAULT '[]',
        note         TEXT,
        started_at   REAL NOT NULL,
        finished_at  REAL
    );
    CREATE INDEX checkins_by_user ON checkins (user_id, started_at);
    """,
    # The weekday (0 = Monday) whose reminder also looks back at the week; NULL: none.
    """
    ALTER TABLE schedules ADD COLUMN weekly INTEGER;
    """,
    # What the conversation remembers about a person (bot/conversation.py): which side of a
    # broken trust they are on, an exercise they declined, a question waiting for its answer.
    """
    CREATE TABLE memory (
        user_id  INTEGER NOT NULL,
        key      TEXT NOT NULL,
        value    TEXT NOT NULL,
        set_at   REAL NOT NULL,
        PRIMARY KEY (user_id, key)
    );
    """,
    # This install's own secrets, made once: the key of the user tags in logs (bot/logs.py).
    """
    CREATE TABLE install (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    );
    """,
    # When each tracker event happened, outside its (now sealed) data, so the daily sweep can
    # drop old ones (Store.sweep). Rows written before this still hold plain JSON here.
    """
    ALTER TABLE tracker_events ADD COLUMN at REAL;
    UPDATE tracker_events SET at = COALESCE(
        CASE WHEN json_valid(data) THEN json_extract(data, '$.timestamp') END,
        CAST(strftime('%s', 'now') AS REAL)
    );
    CREATE INDEX tracker_events_by_age ON tracker_events (at);
    CREATE INDEX users_by_last_seen ON users (last_seen);
    """,
]

INSERT_CHUNK = 1000  # rows a statement: well under SQLite's 32,766 parameters

# Telegram keeps undelivered updates for 24 hours; remembering ids for two days is enough.
UPDATE_MEMORY_SECONDS = 2 * 24 * 3600
# Sent and failed outbox rows are kept (without their text) as long, for the record.
OUTBOX_MEMORY_SECONDS = UPDATE_MEMORY_SECONDS


# Every column that holds what a person wrote (or a reply that may quote it), as (table, row key,
# column): sealed with the data key (bot/crypto.py) on the way in, opened on the way out.
SEALED = (
    ("tracker_events", "id", "data"),
    ("inbox", "update_id", "body"),
    ("outbox", "id", "body"),
    ("reflections", "id", "answers"),
    ("journal", "id", "entry"),
    ("checkins", "id", "note"),
    ("safety_checks", "user_id", "held"),
)


class StoreError(RuntimeError):
    """The database cannot be opened or written where the settings point."""


# A known value sealed with the key: a key that cannot open it is not the one the data was
# written with. Its presence also marks a database whose columns are all sealed.
KEY_CHECK, KEY_CHECK_VALUE = "data_key_check", "trust-companion"


class Store:
    def __init__(self, db: aiosqlite.Connection, path: Path, sealer: Sealer) -> None:
        self._db = db
        self.path = path
        self._seal, self._unseal = sealer.seal, sealer.open
        self._sealer = sealer

    @classmethod
    async def open(cls, path: Path | str, data_key: str) -> Store:
        """`data_key`: BOT_DATA_KEY, one or more Fernet keys, newest first (bot/crypto.py)."""
        sealer = Sealer(data_key)
        path = Path(path)
        try:
            return await cls._open(path, sealer)
        except (OSError, sqlite3.Error) as error:
            # An unwritable directory or a file that is not a database: one line at start.
            reason = getattr(error, "strerror", None) or str(error)
            raise StoreError(
                f"cannot use the database {path} ({reason}); set BOT_DB_PATH to a file in a "
                "directory this user can write."
            ) from None

    @classmethod
    async def _open(cls, path: Path, sealer: Sealer) -> Store:
        path.parent.mkdir(parents=True, exist_ok=True)
        _owner_only(path)
        # Autocommit: each statement is its own transaction, so a write is one round trip to
        # aiosqlite's thread instead of two (statement, then commit). Writes that must go
        # together are single statements (multi-row inserts); WAL with synchronous=NORMAL makes
        # a commit an append to the log, without a sync to disk.
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = aiosqlite.Row
        store = cls(db, path, sealer)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=5000")
            # Deleted rows are overwritten, not left in free pages: /forget leaves nothing to read.
            await db.execute("PRAGMA secure_delete=ON")
            await store._migrate()
            await store._check_key()
            await store._forget_old_rows()
            logs.use_tag_key(bytes.fromhex(await store._install_secret("log_tag_key")))
        except BaseException:
            # A refused or failed migration must not leave aiosqlite's thread running: it would
            # keep the process from exiting.
            await db.close()
            raise
        return store

    # Each aiosqlite call is a round trip to its worker thread, and a cursor iterated with
    # `async for` is one per row: reads fetch all their rows in one trip.
    async def _rows(self, sql: str, params: tuple = ()) -> list[aiosqlite.Row]:
        return list(await self._db.execute_fetchall(sql, params))

    async def _row(self, sql: str, params: tuple = ()) -> aiosqlite.Row | None:
        rows = await self._rows(sql, params)
        return rows[0] if rows else None

    async def _insert(self, statement: str, rows: list[tuple]) -> None:
        """`statement VALUES (...), (...)`: the rows in one statement, so one transaction (an
        explicit one around several statements beyond SQLite's limit on parameters)."""
        chunks = [rows[i : i + INSERT_CHUNK] for i in range(0, len(rows), INSERT_CHUNK)]
        steps = [
            (
                f"{statement} VALUES "
                + ", ".join(["(" + ", ".join("?" * len(chunk[0])) + ")"] * len(chunk)),
                tuple(v for row in chunk for v in row),
            )
            for chunk in chunks
        ]
        if len(steps) == 1:
            await self._db.execute(*steps[0])
        elif steps:
            await self._atomic(steps)

    async def _checkpoint(self) -> None:
        """Folds the write-ahead log into the file and empties it. The pragma answers with a
        row: read to the end, or its statement stays in progress and the next COMMIT fails."""
        await self._rows("PRAGMA wal_checkpoint(TRUNCATE)")

    async def _atomic(self, steps: Iterable[tuple[str, tuple]]) -> None:
        """Several statements as one transaction, run as ONE job on aiosqlite's thread.

        The connection is shared by every task and runs in autocommit. A BEGIN ... COMMIT sent
        as separate awaits would let other tasks' statements land inside it (rolled back with
        it, or committed late), and would hold everyone else up for several turns of a busy
        event loop. As one job nothing interleaves, it costs one round trip, and a caller
        cancelled meanwhile (a stop) cannot leave it open or half done. `_execute` is
        aiosqlite's own queueing of a function for its thread (private; the version is pinned
        in requirements.lock)."""
        await self._db._execute(_transaction, self._db._conn, list(steps))  # noqa: SLF001

    # Tables with a row per person, by the column that names them.
    _PERSON_TABLES = (
        ("users", "user_id"),
        ("reflections", "user_id"),
        ("exercises", "user_id"),
        ("journal", "user_id"),
        ("safety_checks", "user_id"),
        ("schedules", "user_id"),
        ("checkins", "user_id"),
        ("memory", "user_id"),
        ("chat_messages", "chat_id"),
    )

    async def forget_person(self, user_id: int) -> None:
        """Deletes every row about the person, in one transaction, then folds the write-ahead
        log into the file and empties it, so no copy of what they wrote stays readable. Updates
        still waiting for their turn, and replies not yet sent, stay until they are done (the
        request to forget is one of them); their text is cleared then, as always."""
        await self._atomic(self._forget_steps(user_id))
        await self._checkpoint()

    def _forget_steps(self, user_id: int) -> list[tuple[str, tuple]]:
        steps = [(f"DELETE FROM {t} WHERE {c} = ?", (user_id,)) for t, c in self._PERSON_TABLES]
        return steps + [
            ("DELETE FROM tracker_events WHERE sender_id = ?", (str(user_id),)),
            ("DELETE FROM inbox WHERE chat_id = ? AND done_at IS NOT NULL", (user_id,)),
            (
                "DELETE FROM outbox WHERE chat_id = ?"
                " AND (sent_at IS NOT NULL OR failed IS NOT NULL)",
                (user_id,),
            ),
        ]

    async def sweep(self, events_before: float, seen_before: float) -> tuple[int, int]:
        """The daily retention sweep (bot/nudges.py): tracker events older than
        `events_before`, and everyone not seen since `seen_before`, entirely. Returns the
        counts (events, people)."""
        cursor = await self._db.execute("DELETE FROM tracker_events WHERE at < ?", (events_before,))
        events = cursor.rowcount
        gone = await self._rows("SELECT user_id FROM users WHERE last_seen < ?", (seen_before,))
        # What the conversation remembered, an unanswered safety question's text and a told
        # crisis go on the same clock as the events (/privacy says so); the long inactive go
        # whole, everyone in the same transaction and one checkpoint, however many they are.
        steps = [
            ("DELETE FROM memory WHERE set_at < ?", (events_before,)),
            ("DELETE FROM safety_checks WHERE asked_at < ?", (events_before,)),
            (
                "UPDATE users SET disclosure = NULL, disclosed_at = NULL WHERE disclosed_at < ?",
                (events_before,),
            ),
        ]
        for row in gone:
            steps += self._forget_steps(row[0])
        await self._atomic(steps)
        await self._checkpoint()
        return events, len(gone)

    async def person_rows(self, user_id: int) -> int:
        """How many rows name the person, across every table that can (tests, /forget)."""
        total = 0
        for table, column in self._PERSON_TABLES:
            row = await self._row(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (user_id,))
            total += row[0]
        row = await self._row(
            "SELECT COUNT(*) FROM tracker_events WHERE sender_id = ?", (str(user_id),)
        )
        return total + row[0]

    async def _install_secret(self, key: str) -> str:
        await self._db.execute(
            "INSERT OR IGNORE INTO install (key, value) VALUES (?, ?)", (key, secrets.token_hex(32))
        )
        return (await self._row("SELECT value FROM install WHERE key = ?", (key,)))[0]

    async def _check_key(self) -> None:
        """Refuses a key that did not write this database; seals a database written before
        encryption (its first open with a key), all in one transaction."""
        row = await self._row("SELECT value FROM install WHERE key = ?", (KEY_CHECK,))
        if row is not None:
            if not self._sealer.opens(row[0]):
                raise DataKeyError(
                    f"BOT_DATA_KEY cannot read {self.path}: it was written with another key. "
                    "Put that key in BOT_DATA_KEY (newest first, comma-separated), or move the "
                    "file away to start with an empty database."
                )
            return
        await self._reseal(self._seal, then=[(KEY_CHECK, self._seal(KEY_CHECK_VALUE))])

    async def rotate_key(self) -> int:
        """Re-seals every sealed value under the newest key (`python -m bot rotate-key`); the
        number of values. Afterwards the older keys can be dropped from BOT_DATA_KEY."""
        check = self._sealer.rotate(
            (await self._row("SELECT value FROM install WHERE key = ?", (KEY_CHECK,)))[0]
        )
        count = await self._reseal(self._sealer.rotate, then=[(KEY_CHECK, check)])
        # The old ciphertexts must not linger in the log, where the old key would still open them.
        await self._checkpoint()
        return count

    async def _reseal(self, change, then: list[tuple[str, str]]) -> int:
        steps = []
        for table, key, column in SEALED:
            rows = await self._rows(
                f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL"
            )
            steps += [
                (f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (change(row[1]), row[0]))
                for row in rows
            ]
        count = len(steps)
        steps += [
            ("INSERT OR REPLACE INTO install (key, value) VALUES (?, ?)", pair) for pair in then
        ]
        await self._atomic(steps)
        return count

    async def close(self) -> None:
        await self._db.close()

    async def schema_version(self) -> int:
        return (await self._row("PRAGMA user_version"))[0]

    async def _migrate(self) -> None:
        current = await self.schema_version()
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"{self.path} has schema version {current}, newer than this code "
                f"({len(MIGRATIONS)}); refusing to touch it."
            )
        for version in range(current, len(MIGRATIONS)):
            # executescript commits first; user_version is bumped in the same script.
            await self._db.executescript(
                f"BEGIN;\n{MIGRATIONS[version]}\nPRAGMA user_version = {version + 1};\nCOMMIT;"
            )

    async def _forget_old_rows(self) -> None:
        cutoff = time.time() - UPDATE_MEMORY_SECONDS
        await self._db.execute("DELETE FROM inbox WHERE done_at < ?", (cutoff,))
        await self._db.execute(
            "DELETE FROM outbox WHERE COALESCE(sent_at, created_at) < ?"
            " AND (sent_at IS NOT NULL OR failed IS NOT NULL)",
            (time.time() - OUTBOX_MEMORY_SECONDS,),
        )

    # --- the inbox: updates as Telegram sent them, durable before they are confirmed ----------

    async def receive(self, updates: list[tuple[int, int, str, str]]) -> list[int]:
        """Stores (update_id, chat_id, kind, raw JSON) rows; returns the chats that got one
        that is new (a redelivered id is ignored)."""
        if not updates:
            return []
        now = time.time()
        rows = await self._rows(
            "INSERT OR IGNORE INTO inbox (update_id, chat_id, kind, body, received_at) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?)"] * len(updates))
            + " RETURNING chat_id",
            tuple(
                v
                for update_id, chat_id, kind, body in updates
                for v in (update_id, chat_id, kind, self._seal(body), now)
            ),
        )
        return list(dict.fromkeys(row[0] for row in rows))

    async def waiting_chats(self) -> list[int]:
        """Chats with unfinished updates, oldest first: what a restart resumes."""
        rows = await self._rows(
            "SELECT chat_id FROM inbox WHERE done_at IS NULL"
            " GROUP BY chat_id ORDER BY MIN(update_id)"
        )
        return [row[0] for row in rows]

    async def waiting_updates(self, chat_id: int, limit: int) -> list[tuple[int, str, str]]:
        """A chat's unfinished updates in order, as (update_id, kind, raw JSON)."""
        rows = await self._rows(
            "SELECT update_id, kind, body FROM inbox WHERE chat_id = ? AND done_at IS NULL"
            " ORDER BY update_id LIMIT ?",
            (chat_id, limit),
        )
        return [(row[0], row[1], self._unseal(row[2])) for row in rows]

    async def finish_turn(
        self,
        update_ids: list[int],
        outcome: str,
        sends: list[tuple[int, int, str, str]] = (),
    ) -> None:
        """Records a turn's sends as (chat_id, priority, method, JSON body) outbox rows and marks
        its updates done, together: an update is done exactly when its replies are durable.
        The update's text goes with it (the body is cleared)."""
        now = time.time()
        key = update_ids[-1] if update_ids else None
        steps = []
        if sends:
            steps.append(
                (
                    "INSERT INTO outbox (chat_id, update_id, priority, method, body, created_at,"
                    " not_before) VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(sends)),
                    tuple(
                        v
                        for chat_id, priority, method, body in sends
                        for v in (chat_id, key, priority, method, self._seal(body), now, now)
                    ),
                )
            )
        marks = ", ".join("?" * len(update_ids))
        steps.append(
            (
                f"UPDATE inbox SET done_at = ?, outcome = ?, body = NULL"
                f" WHERE update_id IN ({marks})",
                (now, outcome, *update_ids),
            )
        )
        await self._atomic(steps)

    # --- the outbox: every message the bot sends, durable before it is sent --------------------

    async def queue_sends(self, sends: list[tuple[int, int, str, str]]) -> None:
        """Sends that belong to no update (a due follow-up, a pacer's last word)."""
        now = time.time()
        await self._insert(
            "INSERT INTO outbox (chat_id, priority, method, body, created_at, not_before)",
            [
                (chat, priority, method, self._seal(body), now, now)
                for chat, priority, method, body in sends
            ],
        )

    async def next_sends(self, limit: int = 500) -> list[dict]:
        """Each waiting chat's first unsent row (highest priority, then oldest), oldest chat
        first. A chat's later rows wait behind its first, so its order holds through retries."""
        rows = await self._rows(
            "SELECT o.id, o.chat_id, o.priority, o.method, o.body, o.not_before, o.attempts,"
            " o.created_at"
            " FROM outbox o WHERE o.sent_at IS NULL AND o.failed IS NULL AND o.id = ("
            "  SELECT p.id FROM outbox p WHERE p.chat_id = o.chat_id"
            "  AND p.sent_at IS NULL AND p.failed IS NULL ORDER BY p.priority DESC, p.id LIMIT 1)"
            " ORDER BY o.priority DESC, o.id LIMIT ?",
            (limit,),
        )
        return [{**row, "body": self._unseal(row["body"])} for row in map(dict, rows)]

    async def sent(self, row_id: int, chat_id: int, message_id: int | None) -> None:
        """A row was delivered: its text is dropped, and the message id kept for /clear, for
        people we know: after /forget (whose "done" is sent after the deleting) we know no one
        until their next message, and keep nothing that names them."""
        now = time.time()
        steps = [("UPDATE outbox SET sent_at = ?, body = NULL WHERE id = ?", (now, row_id))]
        if message_id is not None:
            steps.append(
                (
                    "INSERT OR IGNORE INTO chat_messages (chat_id, message_id, sent_at)"
                    " SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE user_id = ?)",
                    (chat_id, message_id, now, chat_id),
                )
            )
        await self._atomic(steps)

    async def retry_send(self, row_id: int, not_before: float) -> None:
        await self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, not_before = ? WHERE id = ?",
            (not_before, row_id),
        )

    async def give_up_send(self, row_id: int, reason: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET failed = ?, body = NULL, attempts = attempts + 1 WHERE id = ?",
            (reason, row_id),
        )

    async def has_unsent(self, chat_id: int) -> bool:
        row = await self._row(
            "SELECT 1 FROM outbox WHERE chat_id = ? AND sent_at IS NULL AND failed IS NULL LIMIT 1",
            (chat_id,),
        )
        return row is not None

    async def outbox_counts(self) -> dict[str, int]:
        row = await self._row(
            "SELECT SUM(sent_at IS NULL AND failed IS NULL), SUM(sent_at IS NOT NULL),"
            " SUM(failed IS NOT NULL) FROM outbox"
        )
        return {"waiting": row[0] or 0, "sent": row[1] or 0, "failed": row[2] or 0}

    # --- users ---------------------------------------------------------------------------------

    async def touch_user(self, user_id: int) -> bool:
        """Records that the user was seen; True when this is their first contact."""
        now = time.time()
        # An upsert that updated reports rowcount 1 as well, so the row's age tells instead.
        row = await self._row(
            "INSERT INTO users (user_id, created_at, last_seen) VALUES (?, ?, ?) "
            # A person who writes has not blocked us (any more): their nudges resume.
            "ON CONFLICT (user_id) DO UPDATE SET last_seen = excluded.last_seen, blocked_at = NULL "
            "RETURNING created_at = last_seen",
            (user_id, now, now),
        )
        return bool(row[0])

    async def country(self, user_id: int) -> str | None:
        row = await self._row("SELECT country FROM users WHERE user_id = ?", (user_id,))
        return row[0] if row else None

    async def set_country(self, user_id: int, country: str | None) -> None:
        await self.touch_user(user_id)
        await self._db.execute("UPDATE users SET country = ? WHERE user_id = ?", (country, user_id))

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        """Telegram answered 403 (the person blocked the bot), or they are back."""
        await self._db.execute(
            "UPDATE users SET blocked_at = ? WHERE user_id = ?",
            (time.time() if blocked else None, user_id),
        )

    async def is_blocked(self, user_id: int) -> bool:
        row = await self._row("SELECT blocked_at FROM users WHERE user_id = ?", (user_id,))
        return bool(row and row[0])

    # --- check-in schedules ---------------------------------------------------------------

    _SCHEDULE_COLUMNS = (
        "user_id, zone, at, days, asking, paused, due_at, due_day, sent_day, weekly, updated_at"
    )

    async def schedule(self, user_id: int) -> dict | None:
        row = await self._row(
            f"SELECT {self._SCHEDULE_COLUMNS} FROM schedules WHERE user_id = ?", (user_id,)
        )
        return dict(zip(self._SCHEDULE_COLUMNS.split(", "), row, strict=True)) if row else None

    async def save_schedule(self, user_id: int, **fields) -> None:
        """Sets the given columns of the person's schedule, creating it when there is none."""
        # (updated_at, the last column, is the store's own to set.)
        names = [n for n in fields if n in self._SCHEDULE_COLUMNS.split(", ")[1:-1]]
        await self.touch_user(user_id)
        await self._db.execute(
            "INSERT INTO schedules (user_id, updated_at) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO NOTHING",
            (user_id, time.time()),
        )
        if names:
            sets = ", ".join(f"{name} = ?" for name in names)
            await self._db.execute(
                f"UPDATE schedules SET {sets}, updated_at = ? WHERE user_id = ?",
                (*(fields[n] for n in names), time.time(), user_id),
            )

    async def due_schedules(
        self, now: float, user_id: int | None = None, skip: Iterable[int] = ()
    ) -> list[dict]:
        """Schedules whose nudge is due, of people who have not paused or blocked us; people
        in `skip` (the quiet mark) wait."""
        rows = await self._rows(
            f"SELECT {', '.join('s.' + c for c in self._SCHEDULE_COLUMNS.split(', '))}"
            " FROM schedules s JOIN users u ON u.user_id = s.user_id"
            " WHERE s.due_at IS NOT NULL AND s.due_at <= ? AND s.paused = 0"
            " AND u.blocked_at IS NULL AND (? IS NULL OR s.user_id = ?)"
            " AND s.user_id NOT IN (SELECT value FROM json_each(?)) ORDER BY s.due_at",
            (now, user_id, user_id, json.dumps(sorted(skip))),
        )
        return [dict(zip(self._SCHEDULE_COLUMNS.split(", "), row, strict=True)) for row in rows]

    async def move_schedule(
        self, user_id: int, was_due: float, due_at: float, due_day: str, sent_day: str | None
    ) -> bool:
        """Moves a due schedule on to its next nudge, once: False when another loop (or an
        earlier pass) already moved it, so its nudge is not sent twice."""
        cursor = await self._db.execute(
            "UPDATE schedules SET due_at = ?, due_day = ?, sent_day = COALESCE(?, sent_day),"
            " updated_at = ? WHERE user_id = ? AND due_at = ?"
            # A crisis reply since the loop read the quiet marks: leave it parked.
            " AND NOT EXISTS (SELECT 1 FROM users WHERE user_id = ? AND quiet_until > ?)",
            (due_at, due_day, sent_day, time.time(), user_id, was_due, user_id, time.time()),
        )
        return cursor.rowcount == 1

    # --- check-ins ------------------------------------------------------------------------

    _CHECKIN_COLUMNS = "id, user_id, step, mood, steadiness, tags, note, started_at, finished_at"

    def _checkin_row(self, row) -> dict:
        checkin = dict(zip(self._CHECKIN_COLUMNS.split(", "), row, strict=True))
        checkin["tags"] = json.loads(checkin["tags"])
        checkin["note"] = self._unseal(checkin["note"])
        return checkin

    async def start_checkin(self, user_id: int) -> dict:
        """One check-in in progress at a time: an unfinished one is dropped."""
        await self.drop_open_checkin(user_id)
        row = await self._row(
            "INSERT INTO checkins (user_id, step, started_at) VALUES (?, 'mood', ?)"
            f" RETURNING {self._CHECKIN_COLUMNS}",
            (user_id, time.time()),
        )
        return self._checkin_row(row)

    async def open_checkin(self, user_id: int, within: float = 3 * 3600) -> dict | None:
        """The check-in in progress, if it started within `within` seconds: one left half done
        yesterday must not take today's messages as its answers."""
        row = await self._row(
            f"SELECT {self._CHECKIN_COLUMNS} FROM checkins"
            " WHERE user_id = ? AND finished_at IS NULL AND started_at > ?"
            " ORDER BY id DESC LIMIT 1",
            (user_id, time.time() - within),
        )
        return self._checkin_row(row) if row else None

    async def save_checkin(self, checkin: dict, finished: bool = False) -> None:
        await self._db.execute(
            "UPDATE checkins SET step = ?, mood = ?, steadiness = ?, tags = ?, note = ?,"
            " finished_at = ? WHERE id = ?",
            (
                checkin["step"],
                checkin["mood"],
                checkin["steadiness"],
                json.dumps(checkin["tags"]),
                self._seal(checkin["note"]),
                time.time() if finished else None,
                checkin["id"],
            ),
        )

    async def drop_open_checkin(self, user_id: int) -> None:
        await self._db.execute(
            "DELETE FROM checkins WHERE user_id = ? AND finished_at IS NULL", (user_id,)
        )

    async def checkins(self, user_id: int, since: float) -> list[dict]:
        """Finished check-ins since `since`, oldest first."""
        rows = await self._rows(
            f"SELECT {self._CHECKIN_COLUMNS} FROM checkins"
            " WHERE user_id = ? AND finished_at IS NOT NULL AND started_at >= ? ORDER BY id",
            (user_id, since),
        )
        return [self._checkin_row(row) for row in rows]

    async def set_quiet_until(self, user_id: int, until: float) -> None:
        """After a crisis, nothing unasked-for (nudges, streaks) is sent before `until`."""
        await self.touch_user(user_id)
        await self._db.execute(
            "UPDATE users SET quiet_until = MAX(COALESCE(quiet_until, 0), ?) WHERE user_id = ?",
            (until, user_id),
        )

    async def is_quiet(self, user_id: int, now: float | None = None) -> bool:
        row = await self._row("SELECT quiet_until FROM users WHERE user_id = ?", (user_id,))
        return bool(row and row[0] and row[0] > (time.time() if now is None else now))

    async def quiet_users(self, now: float) -> frozenset[int]:
        """Everyone inside the quiet mark now: the few with a crisis reply in the last day."""
        rows = await self._rows("SELECT user_id FROM users WHERE quiet_until > ?", (now,))
        return frozenset(row[0] for row in rows)

    async def set_disclosure(self, user_id: int, category: str) -> None:
        """The person told us of a crisis (self_harm or abuse): later replies change."""
        await self.touch_user(user_id)
        await self._db.execute(
            "UPDATE users SET disclosure = ?, disclosed_at = ? WHERE user_id = ?",
            (category, time.time(), user_id),
        )

    async def disclosure(self, user_id: int, since: float) -> str | None:
        """The latest disclosure made after `since`, or None."""
        row = await self._row(
            "SELECT disclosure FROM users WHERE user_id = ? AND disclosed_at >= ?",
            (user_id, since),
        )
        return row[0] if row else None

    # --- the safety check question ("are you safe?") ------------------------------------------

    async def ask_safety(self, user_id: int, category: str, held: str | None) -> None:
        """Records that we asked; `held` is the text that made us ask, kept until the answer
        (a flow's answer that tripped the screen is given back to the flow after a no)."""
        await self._db.execute(
            "INSERT OR REPLACE INTO safety_checks (user_id, category, held, asked_at)"
            " VALUES (?, ?, ?, ?)",
            (user_id, category, self._seal(held), time.time()),
        )

    async def take_safety_check(self, user_id: int, since: float) -> tuple[str, str | None] | None:
        """The open question asked after `since`, as (category, held text), now answered."""
        row = await self._row(
            "DELETE FROM safety_checks WHERE user_id = ? RETURNING category, held, asked_at",
            (user_id,),
        )
        return (row[0], self._unseal(row[1])) if row and row[2] >= since else None

    # --- messages visible in a chat (for /clear) -----------------------------------------------

    async def remember_messages(self, chat_id: int, message_ids: list[int], at: float) -> None:
        await self._insert(
            "INSERT OR IGNORE INTO chat_messages (chat_id, message_id, sent_at)",
            [(chat_id, m, at) for m in message_ids],
        )

    async def chat_messages(self, chat_id: int) -> list[tuple[int, float]]:
        return [
            (row[0], row[1])
            for row in await self._rows(
                "SELECT message_id, sent_at FROM chat_messages"
                " WHERE chat_id = ? ORDER BY message_id",
                (chat_id,),
            )
        ]

    async def forget_messages(self, chat_id: int, message_ids: list[int]) -> None:
        for start in range(0, len(message_ids), 500):
            chunk = message_ids[start : start + 500]
            await self._db.execute(
                "DELETE FROM chat_messages WHERE chat_id = ?"
                f" AND message_id IN ({', '.join('?' * len(chunk))})",
                (chat_id, *chunk),
            )

    # --- guided reflections ---------------------------------------------------------------------

    async def start_reflection(self, user_id: int, flow: str) -> None:
        """A person has at most one reflection in progress: starting one drops the other."""
        await self.drop_reflection(user_id)
        now = time.time()
        await self._db.execute(
            "INSERT INTO reflections (user_id, flow, step, answers, started_at, updated_at)"
            " VALUES (?, ?, 0, ?, ?, ?)",
            (user_id, flow, self._seal("{}"), now, now),
        )

    async def active_reflection(self, user_id: int) -> tuple[int, str, int, dict] | None:
        row = await self._row(
            "SELECT id, flow, step, answers FROM reflections"
            " WHERE user_id = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
            (user_id,),
        )
        return (row[0], row[1], row[2], json.loads(self._unseal(row[3]))) if row else None

    async def save_reflection(
        self, reflection_id: int, step: int, answers: dict, finished: bool = False
    ) -> None:
        now = time.time()
        await self._db.execute(
            "UPDATE reflections SET step = ?, answers = ?, updated_at = ?, finished_at = ?"
            " WHERE id = ?",
            (step, self._seal(json.dumps(answers)), now, now if finished else None, reflection_id),
        )

    async def drop_reflection(self, user_id: int) -> bool:
        """Deletes an unfinished reflection and its answers; True if there was one."""
        cursor = await self._db.execute(
            "DELETE FROM reflections WHERE user_id = ? AND finished_at IS NULL", (user_id,)
        )
        return cursor.rowcount > 0

    async def finished_reflections(self, user_id: int) -> list[tuple[str, dict]]:
        return [
            (row[0], json.loads(self._unseal(row[1])))
            for row in await self._rows(
                "SELECT flow, answers FROM reflections"
                " WHERE user_id = ? AND finished_at IS NOT NULL ORDER BY id",
                (user_id,),
            )
        ]

    # --- conversation memory -------------------------------------------------------------------

    async def remember(self, user_id: int, key: str, value: str) -> None:
        await self._db.execute(
            "INSERT INTO memory (user_id, key, value, set_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value,"
            " set_at = excluded.set_at",
            (user_id, key, value, time.time()),
        )

    async def recall(self, user_id: int, since: float = 0.0) -> dict[str, str]:
        """Everything remembered about the person, set at `since` or later."""
        return {k: v for k, (v, at) in (await self.memory(user_id)).items() if at >= since}

    async def memory(self, user_id: int) -> dict[str, tuple[str, float]]:
        """Everything remembered about the person, with when it was set (time.time())."""
        query = "SELECT key, value, set_at FROM memory WHERE user_id = ?"
        rows = await self._rows(query, (user_id,))
        return {row[0]: (row[1], row[2]) for row in rows}

    async def forget(self, user_id: int, key: str) -> None:
        await self._db.execute("DELETE FROM memory WHERE user_id = ? AND key = ?", (user_id, key))

    async def reflections_finished(self, user_id: int, since: float) -> set[str]:
        rows = await self._rows(
            "SELECT DISTINCT flow FROM reflections WHERE user_id = ? AND finished_at >= ?",
            (user_id, since),
        )
        return {row[0] for row in rows}

    # --- grounding exercises -------------------------------------------------------------------
    # A run's `step` names where it is; `state` holds the little it needs (round, choice). A run
    # parked in step 'waiting' has a `due_at` and does not block starting another exercise.

    _EXERCISE_COLUMNS = "id, user_id, name, step, state, before, after, due_at, updated_at"

    async def start_exercise(self, user_id: int, name: str, step: str, state: dict) -> int:
        """One exercise at a time: starting one ends the open one (a parked run stays)."""
        await self.end_open_exercises(user_id, "replaced")
        now = time.time()
        cursor = await self._db.execute(
            "INSERT INTO exercises (user_id, name, step, state, started_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, name, step, json.dumps(state), now, now),
        )
        return cursor.lastrowid

    async def end_open_exercises(self, user_id: int, outcome: str) -> None:
        await self._db.execute(
            "UPDATE exercises SET finished_at = ?, outcome = ?"
            " WHERE user_id = ? AND finished_at IS NULL AND step != 'waiting'",
            (time.time(), outcome, user_id),
        )

    async def exercise(self, run_id: int) -> dict | None:
        row = await self._row(
            f"SELECT {self._EXERCISE_COLUMNS}, finished_at FROM exercises WHERE id = ?", (run_id,)
        )
        return _exercise_row(row) if row else None

    async def open_exercise(self, user_id: int) -> dict | None:
        """The exercise typed text may belong to: unfinished and not parked."""
        row = await self._row(
            f"SELECT {self._EXERCISE_COLUMNS}, finished_at FROM exercises"
            " WHERE user_id = ? AND finished_at IS NULL AND step != 'waiting'"
            " ORDER BY id DESC LIMIT 1",
            (user_id,),
        )
        return _exercise_row(row) if row else None

    async def save_exercise(self, run: dict) -> None:
        await self._db.execute(
            "UPDATE exercises SET step = ?, state = ?, before = ?, after = ?, due_at = ?,"
            " updated_at = ? WHERE id = ? AND finished_at IS NULL",
            (
                run["step"],
                json.dumps(run["state"]),
                run["before"],
                run["after"],
                run["due_at"],
                time.time(),
                run["id"],
            ),
        )

    async def finish_exercise(self, run_id: int, outcome: str, after: int | None = None) -> None:
        await self._db.execute(
            "UPDATE exercises SET finished_at = ?, outcome = ?, due_at = NULL,"
            " after = COALESCE(?, after) WHERE id = ? AND finished_at IS NULL",
            (time.time(), outcome, after, run_id),
        )

    async def interrupt_exercises(self, user_id: int) -> None:
        await self._db.execute(
            "UPDATE exercises SET finished_at = ?, outcome = 'interrupted', due_at = NULL"
            " WHERE user_id = ? AND finished_at IS NULL",
            (time.time(), user_id),
        )

    async def claim_due_exercises(
        self, now: float, user_id: int | None = None, skip: Iterable[int] = ()
    ) -> list[dict]:
        """Parked runs whose time has come, each handed out once: their due_at is cleared.
        Runs of the people in `skip` stay parked."""
        rows = await self._rows(
            f"SELECT {self._EXERCISE_COLUMNS}, finished_at FROM exercises"
            " WHERE due_at IS NOT NULL AND due_at <= ? AND finished_at IS NULL"
            " AND (? IS NULL OR user_id = ?)"
            " AND user_id NOT IN (SELECT value FROM json_each(?)) ORDER BY due_at",
            (now, user_id, user_id, json.dumps(sorted(skip))),
        )
        claimed = []
        for run in map(_exercise_row, rows):
            cursor = await self._db.execute(
                "UPDATE exercises SET due_at = NULL, step = 'after', updated_at = ?"
                " WHERE id = ? AND due_at IS NOT NULL",
                (time.time(), run["id"]),
            )
            if cursor.rowcount == 1:
                claimed.append({**run, "due_at": None, "step": "after"})
        return claimed

    async def exercises_in_step(self, step: str, user_id: int | None = None) -> list[dict]:
        return [
            _exercise_row(row)
            for row in await self._rows(
                f"SELECT {self._EXERCISE_COLUMNS}, finished_at FROM exercises"
                " WHERE step = ? AND finished_at IS NULL AND (? IS NULL OR user_id = ?)"
                " ORDER BY id",
                (step, user_id, user_id),
            )
        ]

    async def exercise_ratings(self, user_id: int) -> list[dict]:
        """Before and after ratings of every exercise the person rated, oldest first."""
        return [
            dict(row)
            for row in await self._rows(
                "SELECT name, before, after, started_at, outcome FROM exercises"
                " WHERE user_id = ? AND (before IS NOT NULL OR after IS NOT NULL) ORDER BY id",
                (user_id,),
            )
        ]

    # --- journal -------------------------------------------------------------------------------

    # One consent covers everything a person writes for keeping: journal answers, reflection
    # answers and check-in notes (the column is named for the first of them). None: not asked.
    async def writing_consent(self, user_id: int) -> bool | None:
        row = await self._row("SELECT journal_consent FROM users WHERE user_id = ?", (user_id,))
        return None if row is None or row[0] is None else bool(row[0])

    async def set_writing_consent(self, user_id: int, consent: bool) -> None:
        await self.touch_user(user_id)
        await self._db.execute(
            "UPDATE users SET journal_consent = ? WHERE user_id = ?", (int(consent), user_id)
        )

    async def add_journal_entry(self, user_id: int, prompt: str, entry: str) -> None:
        await self._db.execute(
            "INSERT INTO journal (user_id, prompt, entry, written_at) VALUES (?, ?, ?, ?)",
            (user_id, prompt, self._seal(entry), time.time()),
        )

    async def journal_entries(self, user_id: int, limit: int = 10) -> list[dict]:
        return [
            {**row, "entry": self._unseal(row["entry"])}
            for row in map(
                dict,
                await self._rows(
                    "SELECT prompt, entry, written_at FROM journal WHERE user_id = ?"
                    " ORDER BY id DESC LIMIT ?",
                    (user_id, limit),
                ),
            )
        ]

    async def forget_writing(self, user_id: int) -> None:
        """Consent withdrawn: the journal, check-in notes and reflection answers go, together."""
        await self._atomic(
            [
                ("DELETE FROM journal WHERE user_id = ?", (user_id,)),
                ("UPDATE checkins SET note = NULL WHERE user_id = ?", (user_id,)),
                (
                    "UPDATE reflections SET answers = ? WHERE user_id = ?",
                    (self._seal("{}"), user_id),
                ),
            ]
        )
        await self._checkpoint()

    async def forget_journal(self, user_id: int) -> int:
        """The journal and the lines written with check-ins: both were kept under its consent."""
        cursor = await self._db.execute("DELETE FROM journal WHERE user_id = ?", (user_id,))
        await self._db.execute(
            "UPDATE checkins SET note = NULL WHERE user_id = ? AND note IS NOT NULL", (user_id,)
        )
        return cursor.rowcount

    # --- dialogue tracker events ---------------------------------------------------------------

    _SESSION_FILTER = (
        "sender_id = ? AND id >= COALESCE((SELECT MAX(id) FROM tracker_events"
        " WHERE sender_id = ? AND type_name = 'session_started'), 0)"
    )

    async def session_events(self, sender_id: str, all_sessions: bool = False) -> list[dict]:
        """Events of the latest conversation session (or of all of them), oldest first."""
        if all_sessions:
            where, params = "sender_id = ?", (sender_id,)
        else:
            where, params = self._SESSION_FILTER, (sender_id, sender_id)
        query = f"SELECT data FROM tracker_events WHERE {where} ORDER BY id"
        return [json.loads(self._unseal(row[0])) for row in await self._rows(query, params)]

    async def count_session_events(self, sender_id: str) -> int:
        query = f"SELECT COUNT(*) FROM tracker_events WHERE {self._SESSION_FILTER}"
        return (await self._row(query, (sender_id, sender_id)))[0]

    async def append_events(self, sender_id: str, events: list[dict]) -> None:
        if not events:
            return
        now = time.time()
        await self._insert(
            "INSERT INTO tracker_events (sender_id, type_name, data, at)",
            [
                (sender_id, e.get("event", ""), self._seal(json.dumps(e)), e.get("timestamp", now))
                for e in events
            ],
        )

    async def tracker_senders(self) -> list[str]:
        return [row[0] for row in await self._rows("SELECT DISTINCT sender_id FROM tracker_events")]

    # --- export ---

    async def person(self, user_id: int) -> dict | None:
        """The person's row of `users` as it is, every column (bot/export.py)."""
        row = await self._row("SELECT * FROM users WHERE user_id = ?", (user_id,))
        return dict(row) if row else None


def _owner_only(path: Path) -> None:
    """The database and its -wal and -shm files readable by this user alone (0600). SQLite
    creates the -wal and -shm files with the database file's mode, so the file is made (empty,
    which SQLite takes as a new database) before SQLite first opens it."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(0o600)


def _transaction(connection: sqlite3.Connection, steps: list[tuple[str, tuple]]) -> None:
    """On aiosqlite's thread (Store._atomic)."""
    connection.execute("BEGIN")
    try:
        for sql, params in steps:
            connection.execute(sql, params)
        connection.execute("COMMIT")
    except BaseException:
        # A failed COMMIT leaves the transaction open too, and every later write would fail
        # inside it: whatever went wrong, the connection is handed back in autocommit.
        connection.execute("ROLLBACK")
        raise


def _exercise_row(row: aiosqlite.Row) -> dict:
    run = dict(row)
    run["state"] = json.loads(run["state"])
    return run
