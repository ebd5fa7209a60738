"""A Request a session made carries the session's loop (whose clock its times are on), so a
replay reads the time without asking asyncio for the running loop; other Requests fall back."""

from __future__ import annotations

import asyncio
import dataclasses

import aiotape
from aiotape.client.seam_request import request_loop
from aiotape.client.transport import Request
from tests.transports import RecordingTransport


async def test_a_session_request_carries_the_session_loop_on_every_path() -> None:
    transport = RecordingTransport()
    async with aiotape.ClientSession(transport=transport) as session:
        await (await session.get("http://127.0.0.1/plain")).read()  # the plain path
        await (await session.get("http://127.0.0.1/q", params={"a": "1"})).read()  # general
    running = asyncio.get_running_loop()
    assert [request_loop(request) for request in transport.requests] == [running, running]
    assert all(r.started <= running.time() for r in transport.requests)


async def test_a_request_made_otherwise_falls_back_to_the_running_loop() -> None:
    transport = RecordingTransport()
    other = asyncio.new_event_loop()  # the session's own loop= (never run): its clock
    try:
        async with aiotape.ClientSession(transport=transport, loop=other) as session:
            await (await session.get("http://127.0.0.1/plain")).read()
    finally:
        other.close()
    [made] = transport.requests
    copied = dataclasses.replace(made)
    built = Request.build("GET", "http://127.0.0.1/x")
    running = asyncio.get_running_loop()
    assert request_loop(made) is other
    assert request_loop(copied) is running and request_loop(built) is running
    assert copied == made  # the loop is no field: equal, and not kept by a copy
    assert "_loop" not in repr(made)
