"""Record real traffic through ClientSession, then replay it offline and get the same results."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web
from yarl import URL

import aiotape
from aiotape.cassettes import load_cassette, use_cassette
from aiotape.client.transport import Request, Response, WebSocketChannel
from tests.servers import RawServer, read_head, serve_app, tls_server_context

Scenario = Callable[[aiotape.ClientSession], Awaitable[Any]]


class Offline:
    """A session transport that fails the test if replay touches the network."""

    async def handle(self, request: Request) -> Response:
        raise AssertionError(f"network used during replay: {request.method} {request.url}")

    async def connect_ws(self, request: Request, **options: object) -> WebSocketChannel:
        raise AssertionError(f"network used during replay: {request.url}")

    async def aclose(self) -> None:
        """Nothing to release."""


async def _outcome(scenario: Scenario, session: aiotape.ClientSession) -> Any:
    try:
        return await scenario(session)
    except (aiotape.ClientError, asyncio.TimeoutError) as exc:
        return ("raised", type(exc), str(exc))


async def record_and_replay(
    path: Path, scenario: Scenario, *, ip_cookies: bool = False
) -> tuple[Any, Any]:
    """Run ``scenario`` live while recording ``path``, then offline from it."""
    with use_cassette(path, record_mode="once"):
        jar = aiotape.CookieJar(unsafe=ip_cookies)
        async with aiotape.ClientSession(cookie_jar=jar) as session:
            live = await _outcome(scenario, session)
    with use_cassette(path) as cassette:
        jar = aiotape.CookieJar(unsafe=ip_cookies)
        async with aiotape.ClientSession(transport=Offline(), cookie_jar=jar) as session:
            replayed = await _outcome(scenario, session)
    assert cassette.all_played
    return live, replayed


async def _snapshot(resp: aiotape.ClientResponse) -> tuple[Any, ...]:
    chunks = [chunk async for chunk in resp.content.iter_any()]
    return (resp.status, resp.reason, list(resp.headers.items()), chunks)


async def test_status_headers_body_and_chunk_boundaries_replay_identically(
    httpbin: URL, tmp_path: Path
) -> None:
    async def scenario(session: aiotape.ClientSession) -> Any:
        async with session.get(httpbin / "stream-bytes/5000", params={"chunk_size": 1000}) as r:
            return await _snapshot(r)

    live, replayed = await record_and_replay(tmp_path / "c.yaml", scenario)
    assert live == replayed
    assert len(live[3]) > 1


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
async def test_compressed_bodies_are_stored_encoded_and_decoded_on_replay(
    httpbin: URL, tmp_path: Path, coding: str
) -> None:
    async def scenario(session: aiotape.ClientSession) -> Any:
        async with session.get(httpbin / "encoded" / coding) as resp:
            return resp.headers["Content-Encoding"], await resp.json()

    live, replayed = await record_and_replay(tmp_path / "c.yaml", scenario)
    assert live == replayed == (coding, {"encoded": coding})
    [stored] = load_cassette(tmp_path / "c.yaml")
    assert stored.response is not None
    assert stored.response.body != f'{{"encoded": "{coding}"}}'.encode()


async def test_redirect_hops_are_separate_interactions_with_history(
    httpbin: URL, tmp_path: Path
) -> None:
    async def scenario(session: aiotape.ClientSession) -> Any:
        async with session.get(httpbin / "redirect/2") as resp:
            return [str(h.url) for h in resp.history], str(resp.url), (await resp.json())["url"]

    live, replayed = await record_and_replay(tmp_path / "c.yaml", scenario)
    assert live == replayed
    assert len(live[0]) == 2
    assert len(load_cassette(tmp_path / "c.yaml")) == 3


async def test_cookies_set_by_the_server_replay_into_the_jar(httpbin: URL, tmp_path: Path) -> None:
    async def scenario(session: aiotape.ClientSession) -> Any:
        async with session.get(httpbin / "cookies/set", params={"flavour": "oat"}) as resp:
            body = await resp.json()
        return body, {c.key: c.value for c in session.cookie_jar}

    live, replayed = await record_and_replay(tmp_path / "c.yaml", scenario, ip_cookies=True)
    assert live == replayed == ({"cookies": {"flavour": "oat"}}, {"flavour": "oat"})


async def test_no_request_secret_reaches_the_cassette(httpbin: URL, tmp_path: Path) -> None:
    async def scenario(session: aiotape.ClientSession) -> Any:
        auth = aiotape.BasicAuth("user", "pa55word")
        headers = {"X-Api-Key": "k3y-s3cret", "Cookie": "sid=c00kie"}
        async with session.get(
            httpbin / "basic-auth/user/pa55word", auth=auth, headers=headers
        ) as r:
            return await r.json()

    live, replayed = await record_and_replay(tmp_path / "c.yaml", scenario)
    assert live == replayed == {"authenticated": True}
    text = (tmp_path / "c.yaml").read_text()
    for secret in ("dXNlcjpwYTU1d29yZA", "k3y-s3cret", "c00kie"):  # base64 of user:pa55word
        assert secret not in text


async def test_streamed_upload_is_recorded_and_matched_on_body(
    httpbin: URL, tmp_path: Path
) -> None:
    async def upload() -> AsyncIterator[bytes]:
        for part in (b"alpha-", b"beta-", b"gamma"):
            yield part

    async def scenario(session: aiotape.ClientSession) -> Any:
        async with session.post(httpbin / "post", data=upload()) as resp:
            return (await resp.json())["data"]

    path = tmp_path / "c.yaml"
    with use_cassette(path, record_mode="once", match_on=["method", "uri", "body"]):
        async with aiotape.ClientSession() as session:
            live = await scenario(session)
    with use_cassette(path, match_on=["method", "uri", "body"]):
        async with aiotape.ClientSession(transport=Offline()) as session:
            replayed = await scenario(session)
    assert live == replayed == "alpha-beta-gamma"


async def test_session_created_before_the_cassette_is_recorded_too(
    httpbin: URL, tmp_path: Path
) -> None:
    async with aiotape.ClientSession() as session:
        with use_cassette(tmp_path / "c.yaml", record_mode="once"):
            async with session.get(httpbin / "get") as resp:
                await resp.read()
    assert [i.request.uri for i in load_cassette(tmp_path / "c.yaml")] == [str(httpbin / "get")]


# -- failures --------------------------------------------------------------------------------


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port with nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    yield port


async def test_connection_refused_replays_as_client_connector_error(
    closed_port: int, tmp_path: Path
) -> None:
    async def scenario(session: aiotape.ClientSession) -> Any:
        return (await session.get(f"http://127.0.0.1:{closed_port}/")).status

    live, replayed = await record_and_replay(tmp_path / "c.yaml", scenario)
    assert live == replayed
    assert live[1] is aiotape.ClientConnectorError


async def test_server_disconnect_mid_body_replays_after_the_partial_body(
    raw_server: Callable[..., Awaitable[RawServer]], tmp_path: Path
) -> None:
    async def truncate(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        await writer.drain()

    server = await raw_server(truncate)
    received: list[list[bytes]] = []

    async def scenario(session: aiotape.ClientSession) -> Any:
        chunks: list[bytes] = []
        received.append(chunks)
        async with session.get(server.url) as resp:
            async for chunk in resp.content.iter_any():
                chunks.append(chunk)
        return chunks

    live, replayed = await record_and_replay(tmp_path / "c.yaml", scenario)
    assert live == replayed
    assert live[1] is aiotape.ClientPayloadError
    assert received[0] == received[1] == [b"partial"]


async def test_server_closing_before_the_head_replays_as_server_disconnected(
    raw_server: Callable[..., Awaitable[RawServer]], tmp_path: Path
) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)

    server = await raw_server(hang_up)

    async def scenario(session: aiotape.ClientSession) -> Any:
        return (await session.get(server.url)).status

    live, replayed = await record_and_replay(tmp_path / "c.yaml", scenario)
    assert live == replayed
    assert live[1] is aiotape.ServerDisconnectedError


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_head(reader)
    await reader.read()  # never answers; returns when the client goes away


async def test_sock_read_timeout_replays_as_socket_timeout_error(
    raw_server: Callable[..., Awaitable[RawServer]], tmp_path: Path
) -> None:
    server = await raw_server(_silent)

    async def scenario(session: aiotape.ClientSession) -> Any:
        timeout = aiotape.ClientTimeout(sock_read=0.05)
        return (await session.get(server.url, timeout=timeout)).status

    live, replayed = await record_and_replay(tmp_path / "c.yaml", scenario)
    assert live == replayed
    assert live[1] is aiotape.SocketTimeoutError


async def test_total_timeout_replays_as_timeout_error(
    raw_server: Callable[..., Awaitable[RawServer]], tmp_path: Path
) -> None:
    server = await raw_server(_silent)

    async def scenario(session: aiotape.ClientSession) -> Any:
        timeout = aiotape.ClientTimeout(total=0.05)
        return (await session.get(server.url, timeout=timeout)).status

    live, replayed = await record_and_replay(tmp_path / "c.yaml", scenario)
    assert live == replayed
    assert issubclass(live[1], asyncio.TimeoutError)


async def test_connect_timeout_replays_as_connection_timeout_error(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        for _ in range(3):  # fill the accept backlog: further SYNs go unanswered
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)

        async def scenario(session: aiotape.ClientSession) -> Any:
            timeout = aiotape.ClientTimeout(sock_connect=0.1)
            return (await session.get(f"http://127.0.0.1:{port}/", timeout=timeout)).status

        try:
            live, replayed = await record_and_replay(tmp_path / "c.yaml", scenario)
        finally:
            for filler in fillers:
                filler.close()
    assert live == replayed
    assert live[1] is aiotape.ConnectionTimeoutError


async def test_untrusted_certificate_replays_as_certificate_error(tmp_path: Path) -> None:
    server_ctx = tls_server_context(trustme.CA().issue_cert("127.0.0.1"))
    async with serve_app(web.Application(), ssl_context=server_ctx) as url:

        async def scenario(session: aiotape.ClientSession) -> Any:
            return (await session.get(url)).status

        live, replayed = await record_and_replay(tmp_path / "c.yaml", scenario)
    assert live == replayed
    assert issubclass(live[1], aiotape.ClientSSLError)


async def test_recorded_latency_beyond_a_tighter_timeout_fails_on_replay(
    httpbin: URL, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with use_cassette(path, record_mode="once"):
        async with aiotape.ClientSession() as session, session.get(httpbin / "delay/0.3") as r:
            assert r.status == 200
    with use_cassette(path):
        async with aiotape.ClientSession(transport=Offline()) as session:
            with pytest.raises(asyncio.TimeoutError):
                await session.get(httpbin / "delay/0.3", timeout=aiotape.ClientTimeout(total=0.1))
