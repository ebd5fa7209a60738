"""Connectors, resolvers and TLS options: the same calls through aiohttp and aiotape.

Every test runs one call through both clients against the same local server (aiohttp.web
on 127.0.0.1 or a unix socket, TLS with a trustme CA) and compares what each saw.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
import tempfile
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
import trustme
from aiohttp import web
from yarl import URL

import aiotape

CLIENTS = (aiohttp, aiotape)
GUARD = 10.0  # seconds; only reached if a client hangs
NAME = "service.test"  # resolved by PinnedResolver only


async def _peer(request: web.Request) -> web.Response:
    ssl_object = request.transport.get_extra_info("ssl_object")  # type: ignore[union-attr]
    return web.json_response(
        {
            "host": request.host,
            "alpn": ssl_object.selected_alpn_protocol() if ssl_object is not None else None,
        }
    )


async def _ws(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        await ws.send_str(f"echo {msg.data}")
    return ws


def _app() -> web.Application:
    app = web.Application()
    app.router.add_get("/", _peer)
    app.router.add_get("/ws", _ws)
    return app


@pytest.fixture
async def runner() -> AsyncIterator[web.AppRunner]:
    app_runner = web.AppRunner(_app(), access_log=None)
    await app_runner.setup()
    yield app_runner
    await app_runner.cleanup()


@pytest.fixture
async def http(runner: web.AppRunner) -> URL:
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return URL(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}")  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def https(runner: web.AppRunner, ca: trustme.CA) -> URL:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    context.set_alpn_protocols(["http/1.1"])
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    return URL(f"https://127.0.0.1:{site._server.sockets[0].getsockname()[1]}")  # type: ignore[union-attr]


@pytest.fixture
def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def unix_path() -> Iterator[str]:
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:  # unix paths must stay short
        yield str(Path(folder) / "s.sock")


async def both(call: Callable[[ModuleType], Awaitable[Any]]) -> list[Any]:
    """``call(module)`` for aiohttp, then for aiotape (each bounded by GUARD)."""
    return [await asyncio.wait_for(call(module), GUARD) for module in CLIENTS]


async def get_json(module: ModuleType, url: URL | str, **kwargs: Any) -> Any:
    """GET ``url`` in a session with ``kwargs`` (a ``connector``, say); the JSON answer."""
    session_kwargs = {k: kwargs.pop(k) for k in ("connector", "timeout") if k in kwargs}
    async with module.ClientSession(**session_kwargs) as client:
        async with client.get(url, **kwargs) as resp:
            return await resp.json()


class PinnedResolver:
    """A resolver written for aiohttp's interface: NAME and localhost go to fixed addresses."""

    def __init__(self, addresses: list[tuple[str, int]]) -> None:
        self.addresses = addresses
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[dict[str, Any]]:
        self.asked.append(host)
        return [
            {"hostname": host, "host": ip, "port": p, "family": socket.AF_INET, "proto": 0}
            | {"flags": socket.AI_NUMERICHOST}
            for ip, p in self.addresses
        ]

    async def close(self) -> None:
        pass


# -- connector classes ---------------------------------------------------------------------
async def test_base_connector_is_the_base_and_cannot_connect(http: URL) -> None:
    async def call(module: ModuleType) -> tuple[bool, str]:
        async with module.TCPConnector() as tcp:
            is_base = isinstance(tcp, module.BaseConnector)
        with pytest.raises(NotImplementedError) as raised:
            await get_json(module, http, connector=module.BaseConnector())
        return is_base, type(raised.value).__name__

    assert await both(call) == [(True, "NotImplementedError")] * 2


async def test_unix_connector_serves_http_and_websockets(
    runner: web.AppRunner, unix_path: str
) -> None:
    await web.UnixSite(runner, unix_path).start()

    async def call(module: ModuleType) -> tuple[Any, str, str]:
        connector = module.UnixConnector(path=unix_path)
        async with module.ClientSession(connector=connector) as client:
            async with client.get("http://unix.example/") as resp:
                answer = await resp.json()
            async with client.ws_connect("http://unix.example/ws") as ws:
                await ws.send_str("hi")
                echoed = await ws.receive_str()
        return answer, echoed, connector.path

    results = await both(call)
    assert results[1] == results[0]
    assert results[0][:2] == ({"host": "unix.example", "alpn": None}, "echo hi")


async def test_unix_connector_to_a_missing_socket(unix_path: str) -> None:
    async def call(module: ModuleType) -> tuple[str, bool]:
        with pytest.raises(module.ClientConnectorError) as raised:
            await get_json(
                module, "http://unix.example/", connector=module.UnixConnector(unix_path)
            )
        return str(raised.value), isinstance(raised.value, FileNotFoundError)

    results = await both(call)
    assert results[1] == results[0]
    assert results[0][0].startswith(f"Cannot connect to unix socket {unix_path} ssl:default")


# -- resolvers -----------------------------------------------------------------------------
async def test_a_callers_resolver_is_used(http: URL) -> None:
    url = http.with_host(NAME)

    async def call(module: ModuleType) -> tuple[Any, list[str]]:
        resolver = PinnedResolver([("127.0.0.1", http.port or 0)])
        answer = await get_json(module, url, connector=module.TCPConnector(resolver=resolver))
        return answer, resolver.asked

    results = await both(call)
    assert results[1] == results[0]
    assert results[0][1] == [NAME]


async def test_websockets_resolve_through_the_connector(http: URL) -> None:
    url = (http / "ws").with_host(NAME)

    async def call(module: ModuleType) -> str:
        resolver = PinnedResolver([("127.0.0.1", http.port or 0)])
        async with module.ClientSession(connector=module.TCPConnector(resolver=resolver)) as c:
            async with c.ws_connect(url) as ws:
                await ws.send_str("hi")
                return str(await ws.receive_str())

    assert await both(call) == ["echo hi"] * 2


async def test_threaded_resolver_resolves_localhost(http: URL) -> None:
    async def call(module: ModuleType) -> tuple[str, list[tuple[str, int]]]:
        found = await module.ThreadedResolver().resolve("localhost", 80, socket.AF_INET)
        return module.DefaultResolver.__name__, [(r["host"], r["port"]) for r in found]

    results = await both(call)
    assert results[1] == results[0]
    assert ("127.0.0.1", 80) in results[0][1]


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("aiodns") is not None, reason="aiodns installed"
)
async def test_async_resolver_without_aiodns_is_refused() -> None:
    async def call(module: ModuleType) -> str:
        with pytest.raises(RuntimeError) as raised:
            module.AsyncResolver()
        return str(raised.value)

    assert await both(call) == ["Resolver requires aiodns library"] * 2


async def test_happy_eyeballs_races_past_an_address_that_never_answers(
    http: URL, full_backlog: int
) -> None:
    """The first address hangs (a full backlog): only racing reaches the second one."""
    addresses = [("127.0.0.1", full_backlog), ("127.0.0.1", http.port or 0)]

    async def call(module: ModuleType) -> Any:
        connector = module.TCPConnector(
            resolver=PinnedResolver(addresses), happy_eyeballs_delay=0.05, use_dns_cache=False
        )
        return (await get_json(module, http.with_host(NAME), connector=connector))["host"]

    assert await both(call) == [f"{NAME}:{http.port}"] * 2


async def test_without_happy_eyeballs_addresses_are_tried_in_turn(
    http: URL, refused_port: int
) -> None:
    addresses = [("127.0.0.1", refused_port), ("127.0.0.1", http.port or 0)]

    async def call(module: ModuleType) -> Any:
        connector = module.TCPConnector(
            resolver=PinnedResolver(addresses), happy_eyeballs_delay=None, use_dns_cache=False
        )
        return (await get_json(module, http.with_host(NAME), connector=connector))["host"]

    assert await both(call) == [f"{NAME}:{http.port}"] * 2


def test_interleave_orders_addresses_as_asyncio_does() -> None:
    from asyncio.base_events import _interleave_addrinfos  # type: ignore[attr-defined]

    from aiotape.client.dial import interleaved

    v4 = [(socket.AF_INET, 1, 6, "", (f"127.0.0.{i}", 80)) for i in range(1, 4)]
    v6 = [(socket.AF_INET6, 1, 6, "", (f"::{i}", 80, 0, 0)) for i in range(1, 3)]
    for infos in (v6 + v4, v4 + v6, v4):
        for count in (1, 2, 3):
            assert interleaved(infos, count) == _interleave_addrinfos(infos, count)
    assert interleaved([], 1) == []


# -- TLS options ---------------------------------------------------------------------------
def _warned(caught: list[warnings.WarningMessage]) -> list[tuple[str, str]]:
    return [(w.category.__name__, str(w.message)) for w in caught]


async def test_default_contexts_offer_alpn_http11(https: URL, ca: trustme.CA) -> None:
    async def call(module: ModuleType) -> str:
        return str((await get_json(module, https, ssl=False))["alpn"])

    assert await both(call) == ["http/1.1"] * 2


@pytest.mark.parametrize("on_connector", [False, True], ids=["request", "connector"])
@pytest.mark.parametrize("option", ["verify_ssl", "ssl_context", "fingerprint"])
async def test_deprecated_tls_options_warn_and_work(
    https: URL, trusting: ssl.SSLContext, option: str, on_connector: bool
) -> None:
    async def call(module: ModuleType) -> tuple[Any, list[tuple[str, str]]]:
        value: Any = {"verify_ssl": False, "ssl_context": trusting}.get(option)
        if option == "fingerprint":
            value = await _certificate_digest(https)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if on_connector:
                answer = await get_json(
                    module, https, connector=module.TCPConnector(**{option: value})
                )
            else:
                answer = await get_json(module, https, **{option: value})
        return answer["host"], [w for w in _warned(caught) if w[0] == "DeprecationWarning"]

    results = await both(call)
    assert results[1] == results[0]
    assert len(results[0][1]) == 1 and option in results[0][1][0][1]


async def test_deprecated_tls_option_with_ssl_is_refused(https: URL) -> None:
    async def call(module: ModuleType) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            with pytest.raises(ValueError) as raised:
                await get_json(module, https, ssl=False, fingerprint=bytes(32))
        return str(raised.value)

    messages = await both(call)
    assert messages[1] == messages[0]


async def _certificate_digest(url: URL) -> bytes:
    """The SHA-256 digest of the certificate the server at ``url`` presents."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    _, writer = await asyncio.open_connection(url.host, url.port, ssl=context)
    der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    writer.close()
    await writer.wait_closed()
    return hashlib.sha256(der).digest()


# -- TCPConnector options ------------------------------------------------------------------
async def test_connector_option_warnings_match(https: URL) -> None:
    """enable_cleanup_closed and the deprecated ssl_shutdown_timeout: same warnings, and
    requests still work."""

    async def call(module: ModuleType) -> tuple[Any, list[tuple[str, str]]]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            connector = module.TCPConnector(enable_cleanup_closed=True, ssl_shutdown_timeout=1.0)
        answer = await get_json(module, https, connector=connector, ssl=False)
        return answer["alpn"], _warned(caught)

    results = await both(call)
    assert results[1] == results[0]


async def test_websockets_use_the_connectors_local_addr(http: URL) -> None:
    def free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    async def call(module: ModuleType) -> bool:
        port = free_port()
        connector = module.TCPConnector(local_addr=("127.0.0.1", port))
        async with module.ClientSession(connector=connector) as client:
            async with client.ws_connect(http / "ws") as ws:
                return bool(ws.get_extra_info("sockname")[1] == port)

    assert await both(call) == [True, True]


async def test_websockets_count_against_the_connectors_limit(http: URL) -> None:
    """With limit=1 an open websocket holds the one slot; closing it frees the slot."""

    async def call(module: ModuleType) -> tuple[str, str]:
        timeout = module.ClientTimeout(connect=0.5)
        connector = module.TCPConnector(limit=1)
        async with module.ClientSession(connector=connector, timeout=timeout) as client:
            first = await client.ws_connect(http / "ws")
            with pytest.raises(asyncio.TimeoutError) as waited:
                await client.ws_connect(http / "ws")
            await first.close()
            async with client.ws_connect(http / "ws") as second:
                await second.send_str("again")
                return type(waited.value).__name__, str(await second.receive_str())

    results = await both(call)
    assert results[1] == results[0]
    assert results[0][1] == "echo again"


# -- the default connector -----------------------------------------------------------------
async def test_session_connector_is_the_default_one_in_use() -> None:
    async def call(module: ModuleType) -> bool:
        async with module.ClientSession() as client:
            return isinstance(client.connector, module.TCPConnector)

    assert await both(call) == [True, True]


async def test_request_leaves_a_given_connector_open(http: URL) -> None:
    async def call(module: ModuleType) -> tuple[int, bool]:
        connector = module.TCPConnector()
        try:
            async with module.request("GET", http, connector=connector) as resp:
                status = resp.status
            return status, connector.closed
        finally:
            await connector.close()

    assert await both(call) == [(200, False)] * 2


async def test_dns_cache_options_and_clearing(http: URL) -> None:
    url = http.with_host(NAME)

    async def call(module: ModuleType) -> tuple[Any, ...]:
        resolver = PinnedResolver([("127.0.0.1", http.port or 0)])
        connector = module.TCPConnector(resolver=resolver, force_close=True)
        async with module.ClientSession(connector=connector) as client:
            for _ in range(2):
                async with client.get(url) as resp:
                    await resp.read()
            cached = len(resolver.asked)
            connector.clear_dns_cache(NAME, http.port)
            async with client.get(url) as resp:
                await resp.read()
            with pytest.raises(ValueError) as raised:
                connector.clear_dns_cache(NAME)
            connector.clear_dns_cache()
        found = len(resolver.asked)
        return connector.family, connector.use_dns_cache, cached, found, str(raised.value)

    results = await both(call)
    assert results[1] == results[0]
    assert results[0][:4] == (0, True, 1, 2)
