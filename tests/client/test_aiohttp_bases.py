"""Handlers written for aiohttp catch aiotape's errors: the same failing call, both clients.

Libraries that accept a caller's session (slack_sdk, aiohttp-retry) write
``except aiohttp.ServerDisconnectedError``; with aiohttp installed, aiotape's classes derive
from aiohttp's, so those handlers fire for aiotape sessions too. Without aiohttp (or with
``AIOTAPE_AIOHTTP_BASES=0``) aiotape imports and works on its own hierarchy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from yarl import URL

import aiotape
from tests.fresh_python import run_json
from tests.servers import RawServer, read_head


@dataclass(frozen=True)
class Peers:
    """Servers the failing calls talk to."""

    httpbin: URL
    refused: URL
    hangs_up: URL
    silent: URL
    truncates: URL
    backlog: URL


Call = Callable[[Any, Peers], Awaitable[object]]


async def _not_found(client: Any, peers: Peers) -> None:
    async with client.get(peers.httpbin / "status" / "404") as resp:
        resp.raise_for_status()


async def _json_of_text(client: Any, peers: Peers) -> None:
    async with client.get(peers.httpbin / "text") as resp:
        await resp.json()


async def _truncated_body(client: Any, peers: Peers) -> None:
    async with client.get(peers.truncates) as resp:
        await resp.read()


async def _get(client: Any, url: URL | str, **kwargs: Any) -> None:
    async with client.get(url, **kwargs) as resp:
        await resp.read()


def _timeout(client: Any, **kwargs: float) -> Any:
    """A ClientTimeout of the client's own library."""
    return type(client.timeout)(**kwargs)


CASES: dict[str, Call] = {
    "ClientConnectorError": lambda c, p: _get(c, p.refused),
    "ServerDisconnectedError": lambda c, p: _get(c, p.hangs_up),
    "ClientResponseError": _not_found,
    "SocketTimeoutError": lambda c, p: _get(c, p.silent, timeout=_timeout(c, sock_read=0.2)),
    "ConnectionTimeoutError": lambda c, p: _get(c, p.backlog, timeout=_timeout(c, connect=0.2)),
    "ContentTypeError": _json_of_text,
    "ClientPayloadError": _truncated_body,
    "TooManyRedirects": lambda c, p: _get(c, p.httpbin / "redirect" / "3", max_redirects=1),
    "InvalidUrlClientError": lambda c, p: _get(c, "http:///no-host"),
    "NonHttpUrlClientError": lambda c, p: _get(c, "ftp://127.0.0.1/file"),
    "WSServerHandshakeError": lambda c, p: c.ws_connect(p.httpbin / "get"),
}


async def _hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_head(reader)


async def _stay_silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_head(reader)
    await reader.read()


async def _truncate(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_head(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    await writer.drain()


@pytest.fixture
async def peers(
    httpbin: URL,
    refused_port: int,
    full_backlog: int,
    raw_server: Callable[[Any], Awaitable[RawServer]],
) -> Peers:
    return Peers(
        httpbin=httpbin,
        refused=URL(f"http://127.0.0.1:{refused_port}/"),
        hangs_up=(await raw_server(_hang_up)).url,
        silent=(await raw_server(_stay_silent)).url,
        truncates=(await raw_server(_truncate)).url,
        backlog=URL(f"http://127.0.0.1:{full_backlog}/"),
    )


async def _failure(module: ModuleType, call: Call, peers: Peers) -> BaseException:
    async with module.ClientSession() as client:
        try:
            await call(client, peers)
        except Exception as exc:
            return exc
    raise AssertionError(f"{module.__name__}: the call did not fail")


@pytest.mark.parametrize("name", sorted(CASES))
async def test_aiohttp_handler_catches_aiotape_error(name: str, peers: Peers) -> None:
    theirs = await _failure(aiohttp, CASES[name], peers)
    assert type(theirs).__name__ == name
    handled_by_aiohttp_code = type(theirs)
    ours: BaseException | None = None
    async with aiotape.ClientSession() as client:
        try:
            await CASES[name](client, peers)
        except handled_by_aiohttp_code as exc:  # the except clause code written for aiohttp has
            ours = exc
    assert ours is not None
    assert type(ours).__name__ == name
    assert type(ours).__module__.startswith("aiotape.")


async def test_retry_library_handlers_fire_for_aiotape(peers: Peers) -> None:
    """slack_sdk's and aiohttp-retry's except clauses, around an aiotape session."""
    caught: list[str] = []
    async with aiotape.ClientSession() as client:
        for url in (peers.hangs_up, peers.refused):
            try:
                await _get(client, url)
            except aiohttp.ServerDisconnectedError:
                caught.append("slack_sdk")
            except aiohttp.ClientConnectionError:
                caught.append("aiohttp-retry")
    assert caught == ["slack_sdk", "aiohttp-retry"]


WITHOUT_AIOHTTP = """
    import asyncio, json, ssl, sys
    sys.modules["aiohttp"] = None  # import aiohttp now raises ImportError
    import aiotape

    async def answer(reader, writer):
        await reader.readuntil(b"\\r\\n\\r\\n")
        writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
        await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with aiotape.ClientSession() as client:
            async with client.get(f"http://127.0.0.1:{port}/") as resp:
                body = await resp.text()
            server.close()
            await server.wait_closed()
            try:
                await client.get(f"http://127.0.0.1:{port}/")
            except OSError as exc:
                refused = type(exc).__name__
        return body, refused

    body, refused = asyncio.run(main())
    print(json.dumps({
        "body": body,
        "refused": refused,
        "modules": sorted({c.__module__ for c in aiotape.ClientConnectorSSLError.__mro__}),
        "timeout_is_builtin": issubclass(aiotape.ServerTimeoutError, asyncio.TimeoutError),
        "ssl_error": issubclass(aiotape.ClientConnectorSSLError, ssl.SSLError),
        "cert_error": issubclass(aiotape.ClientConnectorCertificateError, ssl.CertificateError),
    }))
"""


def test_aiotape_imports_and_works_without_aiohttp() -> None:
    answer = run_json(WITHOUT_AIOHTTP)
    assert answer["body"] == "ok"
    assert answer["refused"] == "ClientConnectorError"
    assert answer["modules"] == ["aiotape.client.exceptions", "builtins", "ssl"]
    assert answer["timeout_is_builtin"] and answer["ssl_error"] and answer["cert_error"]


OPTED_OUT = """
    import json, sys
    import aiotape
    loaded = "aiohttp" in sys.modules
    import aiohttp
    print(json.dumps({
        "aiohttp_loaded_by_aiotape": loaded,
        "caught": issubclass(aiotape.ServerDisconnectedError, aiohttp.ServerDisconnectedError),
    }))
"""


def test_opt_out_keeps_the_hierarchies_apart_and_importing_never_loads_aiohttp() -> None:
    answer = run_json(OPTED_OUT, AIOTAPE_AIOHTTP_BASES="0")
    assert answer == {"aiohttp_loaded_by_aiotape": False, "caught": False}
    assert run_json(OPTED_OUT, AIOTAPE_AIOHTTP_BASES="1") == {
        "aiohttp_loaded_by_aiotape": False,
        "caught": True,
    }
