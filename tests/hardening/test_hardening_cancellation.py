"""Cancelling a request at each await point (connect, TLS, upload, drain, head, body).

Each test holds the client at one await point with a peer on 127.0.0.1 that stalls there,
cancels (``task.cancel()`` or ``asyncio.wait_for``), then checks that nothing is left: no
connection in use or pooled broken, the peer sees the socket closed, and the next request
on the same session works.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest
from yarl import URL

import aiotape
from tests.servers import StartRaw

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
GUARD = 10.0  # seconds; only reached if the client hangs


@dataclass
class Peer:
    """A server whose connections behave as ``modes`` says, one mode per connection.

    ``ok`` answers every request; ``silent`` reads the request and never answers; ``once``
    answers one request, then is silent;
    ``partial`` sends the head and half the body; ``mute`` never reads nor writes (a TLS
    client waits for the handshake); ``deaf`` reads nothing until ``unblock`` is set.
    ``reached`` is set when a stalling connection holds the client; ``closed`` when the
    client closed that connection.
    """

    url: URL
    modes: deque[str] = field(default_factory=deque)
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    unblock: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode = self.modes.popleft()
        if mode == "once":
            await reader.readuntil(b"\r\n\r\n")
            writer.write(OK)
            mode = "silent"
        if mode == "ok":
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(OK)
            return
        if mode == "deaf":
            self.reached.set()
            await self.unblock.wait()
        elif mode == "mute":
            self.reached.set()
        else:
            await reader.readuntil(b"\r\n\r\n")
            if mode == "partial":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345")
            self.reached.set()
        while await reader.read(2**16):
            pass
        self.closed.set()


@pytest.fixture
async def peer(raw_server: StartRaw) -> AsyncIterator[Peer]:
    state = Peer(URL("http://127.0.0.1"))

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await state.serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            state.closed.set()

    state.url = (await raw_server(handler)).url / ""
    yield state
    state.unblock.set()


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop run until ``condition()`` holds (each step is one loop iteration)."""
    while not condition():
        await asyncio.sleep(0)


async def fetch(session: aiotape.ClientSession, url: URL, **kwargs: Any) -> bytes:
    async with session.request(kwargs.pop("method", "GET"), url, **kwargs) as resp:
        return await resp.read()


Cancel = Callable[[Coroutine[Any, Any, Any], Callable[[], Awaitable[object]]], Awaitable[None]]


async def by_task_cancel(
    coro: Coroutine[Any, Any, Any], reached: Callable[[], Awaitable[object]]
) -> None:
    """Run ``coro`` in a task, wait until it is held, cancel it."""
    task = asyncio.ensure_future(coro)
    await asyncio.wait_for(reached(), GUARD)
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def by_wait_for(
    coro: Coroutine[Any, Any, Any], reached: Callable[[], Awaitable[object]]
) -> None:
    """``asyncio.wait_for`` with a timeout the stalled peer always outlasts, long enough for
    the request to reach the peer first on a loaded machine (with 0.1 s, about one run of the
    whole suite in five timed the request out before it was sent)."""
    task = asyncio.ensure_future(asyncio.wait_for(coro, 1.0))
    await asyncio.wait_for(reached(), GUARD)
    with pytest.raises(asyncio.TimeoutError):
        await task


CANCELLERS = pytest.mark.parametrize("cancel", [by_task_cancel, by_wait_for])


async def assert_clean(
    session: aiotape.ClientSession, connector: aiotape.TCPConnector, peer: Peer
) -> None:
    """Nothing in use, nothing broken pooled, the stalled socket closed; the session works."""
    assert not connector._in_use
    assert connector._total == 0
    assert not any(connector._idle.values())
    await asyncio.wait_for(peer.closed.wait(), GUARD)
    peer.modes.append("ok")
    assert await fetch(session, peer.url) == b"ok"


# -- the await points ----------------------------------------------------------------------
@CANCELLERS
async def test_cancel_while_connecting(
    session: aiotape.ClientSession,
    connector: aiotape.TCPConnector,
    peer: Peer,
    full_backlog: int,
    cancel: Cancel,
) -> None:
    async def connecting() -> None:
        await until(lambda: connector._total == 1)

    await cancel(fetch(session, URL(f"http://127.0.0.1:{full_backlog}/")), connecting)
    peer.closed.set()  # nothing was accepted: there is no server side to close
    await assert_clean(session, connector, peer)


@CANCELLERS
async def test_cancel_during_the_tls_handshake(
    session: aiotape.ClientSession, connector: aiotape.TCPConnector, peer: Peer, cancel: Cancel
) -> None:
    peer.modes.append("mute")
    await cancel(fetch(session, peer.url.with_scheme("https")), peer.reached.wait)
    await assert_clean(session, connector, peer)


@CANCELLERS
async def test_cancel_while_the_upload_waits_for_its_source(
    session: aiotape.ClientSession, connector: aiotape.TCPConnector, peer: Peer, cancel: Cancel
) -> None:
    waiting = asyncio.Event()

    async def stalling_source() -> AsyncIterator[bytes]:
        yield b"first"
        waiting.set()
        await asyncio.Event().wait()
        yield b"never"

    peer.modes.append("silent")
    await cancel(fetch(session, peer.url, method="POST", data=stalling_source()), waiting.wait)
    await assert_clean(session, connector, peer)


@CANCELLERS
async def test_cancel_while_the_upload_waits_for_the_socket_to_drain(
    session: aiotape.ClientSession, connector: aiotape.TCPConnector, peer: Peer, cancel: Cancel
) -> None:
    async def endless_source() -> AsyncIterator[bytes]:
        block = bytes(2**20)
        while True:
            yield block

    async def draining() -> None:
        await until(lambda: any(conn._drain is not None for conn in connector._in_use))

    peer.modes.append("deaf")
    await cancel(fetch(session, peer.url, method="POST", data=endless_source()), draining)
    peer.unblock.set()
    await assert_clean(session, connector, peer)


@CANCELLERS
async def test_cancel_while_waiting_for_the_response_head(
    session: aiotape.ClientSession, connector: aiotape.TCPConnector, peer: Peer, cancel: Cancel
) -> None:
    peer.modes.append("silent")
    await cancel(fetch(session, peer.url), peer.reached.wait)
    await assert_clean(session, connector, peer)


@CANCELLERS
async def test_cancel_while_reading_the_body(
    session: aiotape.ClientSession, connector: aiotape.TCPConnector, peer: Peer, cancel: Cancel
) -> None:
    peer.modes.append("partial")
    async with session.get(peer.url) as resp:
        assert await resp.content.readexactly(5) == b"12345"
        await cancel(resp.read(), peer.reached.wait)
    await assert_clean(session, connector, peer)


async def test_cancelled_idempotent_request_is_not_retried(
    session: aiotape.ClientSession, connector: aiotape.TCPConnector, peer: Peer
) -> None:
    peer.modes.extend(["once", "ok"])
    assert await fetch(session, peer.url) == b"ok"  # pooled; the next request on it stalls
    await by_task_cancel(fetch(session, peer.url), peer.reached.wait)
    assert list(peer.modes) == ["ok"]  # no second connection was opened
    await assert_clean(session, connector, peer)


async def test_many_concurrent_cancellations_leave_the_pool_consistent(
    session: aiotape.ClientSession, connector: aiotape.TCPConnector, peer: Peer
) -> None:
    peer.modes.extend(["silent"] * 20)
    tasks = [asyncio.ensure_future(fetch(session, peer.url)) for _ in range(20)]
    await until(lambda: not peer.modes)
    await peer.reached.wait()
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    await assert_clean(session, connector, peer)
