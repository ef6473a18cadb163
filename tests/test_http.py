"""The aiohttp transport for python-telegram-bot: errors map to PTB's, forms and files arrive."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.http import AiohttpRequest


@pytest.fixture
async def server():
    received: list[dict] = []

    async def echo(request: web.Request) -> web.Response:
        form = await request.post()
        received.append(
            {
                k: (v.filename, v.file.read()) if isinstance(v, web.FileField) else v
                for k, v in form.items()
            }
        )
        return web.json_response({"ok": True, "result": True})

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", received
    await runner.cleanup()


def _data(**fields) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in fields.items()])


@pytest.fixture
async def request_():
    request = AiohttpRequest(read_timeout=0.3)
    await request.initialize()
    yield request
    await request.shutdown()


async def test_form_fields_arrive_as_python_telegram_bot_prepared_them(server, request_):
    base, received = server
    data = _data(chat_id=7, text="héllo 💙")
    status, body = await request_.do_request(f"{base}/echo", "POST", data)
    assert status == 200 and b'"ok": true' in body
    assert received == [{"chat_id": "7", "text": "héllo 💙"}]


async def test_files_go_as_multipart_beside_the_fields(server, request_):
    base, received = server
    document = InputFile(b"journal export", filename="journal.txt")
    data = _data(chat_id=7, document=document)
    await request_.do_request(f"{base}/echo", "POST", data)
    assert received[0]["chat_id"] == "7"
    assert ("journal.txt", b"journal export") in received[0].values()


async def test_a_slow_answer_is_a_timeout(server, request_):
    base, _ = server
    with pytest.raises(TimedOut):
        await request_.do_request(f"{base}/slow", "POST")


async def test_nothing_listening_is_a_network_error(request_):
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NetworkError):
        await request_.do_request(f"http://127.0.0.1:{port}/x", "POST")


async def test_using_it_after_shutdown_is_refused(request_):
    await request_.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request_.do_request("http://127.0.0.1:9/x", "POST")
