"""End to end: /export through the real python-telegram-bot client, store and model against the
fake Bot API: two documents, in order, that open as the person's record; and a file row queued
by an older version still goes out after the upgrade."""

from __future__ import annotations

import base64
import csv
import io
import json

from bot import export
from bot.store import Store
from bot.texts import text
from tests.conftest import DATA_KEY

USER = 6200
NOTE = "slept badly but we talked it through"


async def test_export_sends_the_record_and_the_table_as_two_documents(start_bot, fake_tg):
    runner = await start_bot()
    store = runner.store
    checkin = await store.start_checkin(USER)
    checkin.update(step="done", mood=2, steadiness=3, tags=["tired"], note=NOTE)
    await store.save_checkin(checkin, finished=True)
    await fake_tg.send_text(USER, "I really want to go through his phone")
    await fake_tg.wait_for(chat_id=USER, count=2)  # the reply and its offer of an exercise

    await fake_tg.send_text(USER, "/export")
    everything, table = await fake_tg.wait_for(method="sendDocument", chat_id=USER, count=2)
    assert everything["filenames"] == {"document": export.JSON_NAME}
    assert table["filenames"] == {"document": export.CSV_NAME}
    assert everything["caption"] == text("export_caption")
    assert table["caption"] == text("export_table_caption")

    record = json.loads(everything["document"])
    [kept] = record["checkins"]
    assert (kept["mood"], kept["steadiness"], kept["tags"], kept["note"]) == (2, 3, ["tired"], NOTE)
    heard = [e["intent"] for e in record["conversation"] if e["type"] == "user"]
    assert heard == ["checking_urge"]
    answered = [e["response"] for e in record["conversation"] if e["type"] == "bot"]
    assert "utter_checking_urge" in answered
    assert record["profile"]["user_id"] == USER

    [row] = csv.DictReader(io.StringIO(table["document"].decode("utf-8-sig")))
    assert (row["kind"], row["mood"], row["tags"], row["note"]) == ("checkin", "2", "tired", NOTE)


async def test_a_chart_queued_before_documents_existed_is_still_sent(start_bot, fake_tg, tmp_path):
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path, DATA_KEY)
    png = b"\x89PNG\r\n\x1a\n-not-a-real-chart"
    body = {"photo": base64.b64encode(png).decode(), "caption": "1 of the last 30 days"}
    await store.queue_sends([(USER, 0, "sendPhoto", json.dumps(body))])  # no file name then
    await store.close()

    await start_bot(db_path=path)
    [photo] = await fake_tg.wait_for(method="sendPhoto", chat_id=USER)
    assert photo["photo"] == png and photo["caption"] == "1 of the last 30 days"
