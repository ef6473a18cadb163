"""python-telegram-bot's requests over aiohttp instead of httpx.

Every reply is a Bot API request made on the event loop that also runs the dialogue. Under load,
httpx and httpcore spent about 3 ms of that loop on each `sendMessage` (checking every pooled
connection for expiry, per request, was the largest part); aiohttp, which Rasa already installs,
does the same request in a fraction of that. `BaseRequest` is python-telegram-bot's documented
extension point for exactly this.
"""

from __future__ import annotations

import asyncio

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_DEFAULT = BaseRequest.DEFAULT_NONE


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=_DEFAULT,
        write_timeout=_DEFAULT,
        connect_timeout=_DEFAULT,
        pool_timeout=_DEFAULT,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read_timeout if read_timeout is _DEFAULT else read_timeout
        connect = self._connect_timeout if connect_timeout is _DEFAULT else connect_timeout
        pool = self._pool_timeout if pool_timeout is _DEFAULT else pool_timeout
        # aiohttp's `connect` covers waiting for a pooled connection and opening one. It has no
        # write timeout: a write that stalls shows up as no answer within the read timeout.
        waits = [t for t in (pool, connect) if t is not None]
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=sum(waits) if waits else None,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error


def _body(request_data: RequestData | None):
    """Form fields as python-telegram-bot prepares them; files as multipart, like httpx does."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    files = request_data.multipart_data
    if not files:
        return fields or None
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, part in files.items():
        filename, content, mimetype = part if len(part) == 3 else (*part, None)
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
