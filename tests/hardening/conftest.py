"""Fixtures for the hostile-peer tests: a raw server that answers after the request head."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from yarl import URL

from tests.servers import RawHandler, StartRaw, read_head

Serve = Callable[[RawHandler], Awaitable[URL]]


@pytest.fixture
def serve(raw_server: StartRaw) -> Serve:
    """``await serve(handler)``: URL of a raw server calling ``handler`` after the request head."""

    async def start(handler: RawHandler) -> URL:
        async def after_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_head(reader)
            await handler(reader, writer)

        return (await raw_server(after_head)).url / ""

    return start
