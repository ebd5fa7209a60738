"""Tracing signals, side by side: the same calls through aiohttp and aiotape, same sequences.

Each scenario runs once per client against the same local aiohttp.web server with a
TraceConfig that records every signal (name plus its key parameters); the sequences must be
equal. Under mocks and cassette replay the request-level part of aiohttp's sequence fires.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

import aiotape
from aiotape.cassettes import use_cassette
from aiotape.mocking import MockRouter
from tests.transports import RecordingTransport

Event = tuple[Any, ...]
Scenario = Callable[[Any, URL], Awaitable[None]]
SIGNALS = [name for name in dir(aiohttp.TraceConfig()) if name.startswith("on_")]
CONNECTION_LEVEL = ("connection_", "dns_")


def _key(name: str, params: Any) -> Event:
    """The parameters a sequence compares (responses by status, exceptions by class)."""
    fields: list[Any] = [name]
    for attr in ("method", "url", "host", "chunk"):
        if hasattr(params, attr):
            value = getattr(params, attr)
            fields.append(value.path_qs if isinstance(value, URL) else value)
    if name == "response_chunk_received":  # echoed bodies name the client: compare the start
        fields[-1] = fields[-1][:12]
    if hasattr(params, "response"):
        fields.append(params.response.status)
    if hasattr(params, "exception"):
        fields.append(type(params.exception).__name__)
    return tuple(fields)


def recording_config(client: Any, events: list[Event]) -> Any:
    """A ``client.TraceConfig`` whose every signal appends to ``events``."""
    config = client.TraceConfig()
    for signal in SIGNALS:

        async def record(session: Any, ctx: Any, params: Any, name: str = signal[3:]) -> None:
            events.append(_key(name, params))

        getattr(config, signal).append(record)
    return config


async def trace(client: Any, base: URL, scenario: Scenario, **session_options: Any) -> list[Event]:
    events: list[Event] = []
    config = recording_config(client, events)
    async with client.ClientSession(trace_configs=[config], **session_options) as session:
        await scenario(session, base)
    return events


async def both(base: URL, scenario: Scenario, **options: Any) -> list[Event]:
    """The sequence of both clients; asserts they are equal and returns it."""
    theirs = await trace(aiohttp, base, scenario, **options)
    ours = await trace(aiotape, base, scenario, **options)
    assert ours == theirs
    return ours


async def get_and_read(session: Any, base: URL, path: str = "/get") -> None:
    async with session.get(base.with_path(path)) as resp:
        await resp.read()


# -- scenarios ----------------------------------------------------------------------------------
async def test_simple_get_fires_aiohttps_sequence(httpbin: URL) -> None:
    events = await both(httpbin, get_and_read)
    assert [e[0] for e in events] == [
        "request_start",
        "connection_create_start",
        "connection_create_end",
        "request_headers_sent",
        "request_end",
        "response_chunk_received",
    ]


async def test_redirect_chain_fires_a_redirect_per_hop(httpbin: URL) -> None:
    async def scenario(session: Any, base: URL) -> None:
        await get_and_read(session, base, "/redirect/2")

    events = await both(httpbin, scenario)
    redirects = [e for e in events if e[0] == "request_redirect"]
    assert redirects == [
        ("request_redirect", "GET", "/redirect/2", 302),
        ("request_redirect", "GET", "/redirect/1", 302),
    ]


async def test_post_with_body_reports_the_chunk_sent(httpbin: URL) -> None:
    async def scenario(session: Any, base: URL) -> None:
        async with session.post(base / "post", data=b"payload") as resp:
            await resp.read()

    events = await both(httpbin, scenario)
    assert ("request_chunk_sent", "POST", "/post", b"payload") in events


async def test_streamed_upload_reports_each_chunk(httpbin: URL) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for piece in (b"one", b"two", b"three"):
            yield piece

    async def scenario(session: Any, base: URL) -> None:
        async with session.post(base / "post", data=chunks()) as resp:
            await resp.read()

    events = await both(httpbin, scenario)
    sent = [e[3] for e in events if e[0] == "request_chunk_sent"]
    assert sent == [b"one", b"two", b"three"]


async def test_refused_connection_fires_request_exception(refused_port: int) -> None:
    async def scenario(session: Any, base: URL) -> None:
        with pytest.raises(Exception, match="Cannot connect"):
            await session.get(base / "x")

    events = await both(URL(f"http://127.0.0.1:{refused_port}"), scenario)
    assert events == [
        ("request_start", "GET", "/x"),
        ("connection_create_start",),
        ("request_exception", "GET", "/x", "ClientConnectorError"),
    ]


async def test_keep_alive_connection_is_reported_reused(httpbin: URL) -> None:
    async def scenario(session: Any, base: URL) -> None:
        await get_and_read(session, base)
        await get_and_read(session, base)

    events = await both(httpbin, scenario)
    assert [e[0] for e in events].count("connection_reuseconn") == 1


async def queued_behind_a_busy_connection(client: Any, base: URL) -> list[Event]:
    events: list[Event] = []
    config = recording_config(client, events)
    queued = asyncio.Event()

    async def on_queued(session: Any, ctx: Any, params: Any) -> None:
        queued.set()

    config.on_connection_queued_start.append(on_queued)
    connector = client.TCPConnector(limit=1)
    async with client.ClientSession(connector=connector, trace_configs=[config]) as session:
        big = (base / "stream-bytes/4000000").with_query(chunk_size=65536)
        async with session.get(big) as first:  # busy until its body is read
            second = asyncio.create_task(get_and_read(session, base, "/anything/2"))
            await queued.wait()
            await first.read()
        await second
    return events


async def test_a_request_waiting_for_a_slot_is_reported_queued(httpbin: URL) -> None:
    ours = await queued_behind_a_busy_connection(aiotape, httpbin)
    assert ours == await queued_behind_a_busy_connection(aiohttp, httpbin)
    assert [e[0] for e in ours if e[0].startswith("connection_")] == [
        "connection_create_start",
        "connection_create_end",
        "connection_queued_start",
        "connection_queued_end",
        "connection_reuseconn",
    ]


async def test_hostname_fires_dns_miss_then_hit(httpbin: URL) -> None:
    async def scenario(session: Any, base: URL) -> None:
        await get_and_read(session, base)
        await get_and_read(session, base)

    base = httpbin.with_host("localhost")
    theirs = await trace(aiohttp, base, scenario, connector=aiohttp.TCPConnector(force_close=True))
    ours = await trace(aiotape, base, scenario, connector=aiotape.TCPConnector(force_close=True))
    assert ours == theirs
    dns = [e for e in ours if e[0].startswith("dns_")]
    assert dns == [
        ("dns_cache_miss", "localhost"),
        ("dns_resolvehost_start", "localhost"),
        ("dns_resolvehost_end", "localhost"),
        ("dns_cache_hit", "localhost"),
    ]


async def test_error_status_with_raise_for_status_fires_exception(httpbin: URL) -> None:
    async def scenario(session: Any, base: URL) -> None:
        with pytest.raises(Exception, match="418"):
            await session.get(base / "status/418", raise_for_status=True)

    events = await both(httpbin, scenario)
    assert events[-1] == ("request_exception", "GET", "/status/418", "ClientResponseError")


# -- headers and contexts -----------------------------------------------------------------------
async def test_request_start_sees_merged_headers_and_may_add_to_them(httpbin: URL) -> None:
    """OpenTelemetry's idiom: inject a header in on_request_start; the server receives it."""

    async def run(client: Any) -> tuple[dict[str, str], dict[str, Any]]:
        seen: dict[str, str] = {}
        config = client.TraceConfig()

        async def inject(session: Any, ctx: Any, params: Any) -> None:
            seen.update(params.headers)
            params.headers["traceparent"] = "00-abc-01"

        config.on_request_start.append(inject)
        async with client.ClientSession(
            headers={"X-Session": "s"}, trace_configs=[config]
        ) as session:
            async with session.get(httpbin / "get", headers={"X-Call": "c"}) as resp:
                echoed = await resp.json()
        return seen, echoed["headers"]

    theirs, ours = await run(aiohttp), await run(aiotape)
    assert ours[0] == theirs[0] == {"X-Session": "s", "X-Call": "c"}
    assert ours[1]["traceparent"] == theirs[1]["traceparent"] == "00-abc-01"


async def test_trace_request_ctx_reaches_a_custom_context_factory(httpbin: URL) -> None:
    class Context(types.SimpleNamespace):
        pass

    async def run(client: Any) -> list[Any]:
        contexts: list[Any] = []
        config = client.TraceConfig(trace_config_ctx_factory=Context)

        async def start(session: Any, ctx: Any, params: Any) -> None:
            ctx.started = True

        async def end(session: Any, ctx: Any, params: Any) -> None:
            contexts.append((type(ctx).__name__, ctx.trace_request_ctx, ctx.started))

        config.on_request_start.append(start)
        config.on_request_end.append(end)
        async with client.ClientSession(trace_configs=[config]) as session:
            for attempt in (1, 2):
                async with session.get(httpbin / "get", trace_request_ctx={"n": attempt}):
                    pass
        return contexts

    assert (
        await run(aiotape)
        == await run(aiohttp)
        == [
            ("Context", {"n": 1}, True),
            ("Context", {"n": 2}, True),
        ]
    )


@pytest.mark.parametrize("client", [aiohttp, aiotape], ids=["aiohttp", "aiotape"])
async def test_signals_are_frozen_when_a_session_starts(client: Any) -> None:
    config = client.TraceConfig()

    async def callback(session: Any, ctx: Any, params: Any) -> None:
        pass

    config.on_request_start.append(callback)
    assert not config.on_request_start.frozen
    async with client.ClientSession(trace_configs=[config]) as session:
        assert session.trace_configs == [config]
    assert config.on_request_start.frozen
    with pytest.raises(RuntimeError, match="frozen"):
        config.on_request_end.append(callback)


async def test_send_on_an_unfrozen_signal_is_refused() -> None:
    config = aiotape.TraceConfig()
    with pytest.raises(RuntimeError, match="non-frozen"):
        await config.on_request_start.send(None, None, None)


# -- above the seam: mocks and cassettes --------------------------------------------------------
def request_level(events: list[Event]) -> list[Event]:
    return [e for e in events if not e[0].startswith(CONNECTION_LEVEL)]


async def post_then_redirect(session: Any, base: URL) -> None:
    async with session.post(base / "post", data=b"payload") as resp:
        await resp.read()
    await get_and_read(session, base, "/redirect/1")


async def test_mocked_requests_fire_aiohttps_request_level_signals(
    httpbin: URL, http_mock: MockRouter
) -> None:
    live = await trace(aiohttp, httpbin, post_then_redirect)
    mocked = URL("http://api.test")
    echo = '{"method": "..."}'  # as the live server's echo starts
    http_mock.post(f"{mocked}/post", text=echo)
    http_mock.get(f"{mocked}/redirect/1", status=302, headers={"Location": "/get"})
    http_mock.get(f"{mocked}/get", text=echo)
    assert await trace(aiotape, mocked, post_then_redirect) == request_level(live)


async def test_cassette_replay_fires_request_level_signals(httpbin: URL, tmp_path: Path) -> None:
    path = tmp_path / "trace.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = await trace(aiotape, httpbin, post_then_redirect)
    with use_cassette(path, record_mode="none"):
        replayed = await trace(aiotape, httpbin, post_then_redirect)
    assert replayed == request_level(recorded)
    assert replayed == request_level(await trace(aiohttp, httpbin, post_then_redirect))


async def test_mocked_exception_fires_request_exception(http_mock: MockRouter) -> None:
    http_mock.get("http://api.test/down", exception=aiotape.ServerDisconnectedError())

    async def scenario(session: Any, base: URL) -> None:
        with pytest.raises(aiotape.ServerDisconnectedError):
            await session.get(base / "down")

    events = await trace(aiotape, URL("http://api.test"), scenario)
    assert events == [
        ("request_start", "GET", "/down"),
        ("request_exception", "GET", "/down", "ServerDisconnectedError"),
    ]


async def test_a_failing_callback_on_reuse_gives_the_connection_slot_back(httpbin: URL) -> None:
    async def run(client: Any) -> list[Event]:
        events: list[Event] = []
        config = recording_config(client, events)
        failing = [True]

        async def refuse(session: Any, ctx: Any, params: Any) -> None:
            if failing.pop():
                raise RuntimeError("tracer failed")

        config.on_connection_reuseconn.append(refuse)
        connector = client.TCPConnector(limit=1)
        timeout = client.ClientTimeout(total=10)
        async with client.ClientSession(
            connector=connector, trace_configs=[config], timeout=timeout
        ) as session:
            await get_and_read(session, httpbin)
            with pytest.raises(RuntimeError, match="tracer failed"):
                await get_and_read(session, httpbin)
            failing.append(False)
            await get_and_read(session, httpbin)  # the only slot is free again
        return events

    ours = await run(aiotape)
    assert ours == await run(aiohttp)
    assert ("request_exception", "GET", "/get", "RuntimeError") in ours


async def test_without_trace_configs_the_transport_gets_the_request_as_built() -> None:
    transport = RecordingTransport()
    async with aiotape.ClientSession(transport=transport) as session:
        async with session.post("http://api.test/x", data=b"body"):
            pass
    (request,) = transport.requests
    assert request.trace is None
    assert request.body == b"body"
