"""Issue 17, the part done: the database files are the owner's alone, and log tags are keyed."""

from __future__ import annotations

import hashlib
import stat

from bot import logs
from bot.store import Store
from tests.conftest import DATA_KEY


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_database_and_its_wal_are_readable_by_the_owner_alone(tmp_path):
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path, DATA_KEY)
    await store.remember(1, "position", "hurt")  # a write: the -wal file exists now
    files = [path, tmp_path / "bot.sqlite3-wal", tmp_path / "bot.sqlite3-shm"]
    assert all(f.exists() for f in files)
    assert [mode(f) for f in files] == [0o600, 0o600, 0o600]
    await store.close()


async def test_a_database_made_world_readable_before_is_closed_up(tmp_path):
    path = tmp_path / "old.sqlite3"
    await (await Store.open(path, DATA_KEY)).close()
    path.chmod(0o644)  # as an older version left it
    store = await Store.open(path, DATA_KEY)
    assert mode(path) == 0o600
    await store.close()


async def test_log_tags_are_keyed_per_install_and_stable_across_restarts(tmp_path):
    unkeyed = hashlib.sha256(b"trust-companion:42").hexdigest()[:10]
    store = await Store.open(tmp_path / "a.sqlite3", DATA_KEY)
    tag = logs.user_tag(42)
    await store.close()
    assert tag != unkeyed and len(tag) == 10
    store = await Store.open(tmp_path / "a.sqlite3", DATA_KEY)
    assert logs.user_tag(42) == tag  # the same install: the same tag after a restart
    await store.close()
    other = await Store.open(tmp_path / "b.sqlite3", DATA_KEY)
    assert logs.user_tag(42) != tag  # another install cannot link its tags to these
    await other.close()
