"""The session layer's shortcuts for calls without options send what the general path sends."""

from __future__ import annotations

from dataclasses import fields

from aiotape import ClientSession
from aiotape.transport import Request
from tests.transports import RecordingTransport


async def test_seam_request_matches_its_dataclass_constructor() -> None:
    transport = RecordingTransport()
    async with ClientSession(transport=transport) as session:
        async with session.get("http://127.0.0.1:1/a", headers={"X-A": "1"}) as resp:
            await resp.read()
    sent = transport.requests[0]
    rebuilt = Request(*(getattr(sent, field.name) for field in fields(Request)))
    assert type(sent) is Request
    assert sent == rebuilt
    assert hash(sent.url) == hash(rebuilt.url)


async def test_session_headers_mutation_reaches_the_next_request() -> None:
    transport = RecordingTransport()
    async with ClientSession(transport=transport, headers={"X-Session": "1"}) as session:
        for url in ("http://127.0.0.1:1/a", "http://127.0.0.1:1/b"):
            async with session.get(url) as resp:
                await resp.read()
        session.headers["X-Session"] = "2"
        session.headers.add("X-Extra", "e")
        async with session.get("http://127.0.0.1:1/c") as resp:
            await resp.read()
        del session.headers["X-Extra"]
        async with session.get("http://127.0.0.1:1/d") as resp:
            await resp.read()
    first, second, mutated, restored = (r.headers for r in transport.requests)
    assert list(first.items()) == list(second.items())
    assert first["X-Session"] == "1"
    assert mutated["X-Session"] == "2"
    assert mutated["X-Extra"] == "e"
    assert "X-Extra" not in restored
    assert restored["X-Session"] == "2"


async def test_cached_header_block_follows_the_host_and_is_not_shared() -> None:
    transport = RecordingTransport()
    async with ClientSession(transport=transport) as session:
        for url in ("http://127.0.0.1:1/", "http://localhost:2/", "http://127.0.0.1:1/"):
            async with session.get(url) as resp:
                await resp.read()
        async with session.get("http://127.0.0.1:1/", headers={"Accept": "text/plain"}) as resp:
            await resp.read()
        async with session.get("http://127.0.0.1:1/") as resp:
            await resp.read()
    hosts = [r.headers["Host"] for r in transport.requests]
    assert hosts == ["127.0.0.1:1", "localhost:2", "127.0.0.1:1", "127.0.0.1:1", "127.0.0.1:1"]
    assert transport.requests[3].headers["Accept"] == "text/plain"
    assert transport.requests[4].headers["Accept"] == "*/*"
    assert list(transport.requests[0].headers.items()) == list(
        transport.requests[4].headers.items()
    )


async def test_auth_and_cookies_of_one_call_stay_out_of_the_next() -> None:
    transport = RecordingTransport()
    async with ClientSession(transport=transport) as session:
        async with session.get("http://user:pw@127.0.0.1:1/", cookies={"c": "1"}) as resp:
            await resp.read()
        async with session.get("http://127.0.0.1:1/") as resp:
            await resp.read()
    with_auth, plain = (r.headers for r in transport.requests)
    assert with_auth["Authorization"].startswith("Basic ")
    assert with_auth["Cookie"] == "c=1"
    assert "Authorization" not in plain
    assert "Cookie" not in plain
