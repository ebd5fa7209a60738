"""``ssl=Fingerprint(...)`` pins a TLS server's certificate; ``ssl=`` of other types is refused.

Each behaviour runs through aiohttp and aiotape against the same trustme TLS server.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import aiohttp
import pytest
import trustme
from aiohttp import web
from yarl import URL

import aiotape

CLIENTS = [pytest.param(aiohttp, id="aiohttp"), pytest.param(aiotape, id="aiotape")]


@pytest.fixture(scope="module")
def server_cert() -> trustme.LeafCert:
    return trustme.CA().issue_cert("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def digest(server_cert: trustme.LeafCert) -> bytes:
    """SHA-256 of the server certificate's DER bytes."""
    pem = server_cert.cert_chain_pems[0].bytes().decode()
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).digest()


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="pinned")


async def _echo_ws(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        await ws.send_str(msg.data)
    return ws


@pytest.fixture
async def tls_url(server_cert: trustme.LeafCert) -> AsyncIterator[URL]:
    """An https aiohttp.web server on 127.0.0.1 whose CA no client trusts."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(ctx)
    app = web.Application()
    app.router.add_get("/", _hello)
    app.router.add_get("/ws", _echo_ws)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield URL(f"https://127.0.0.1:{port}/")
    finally:
        await runner.cleanup()


async def _get_text(module: ModuleType, url: URL, **kwargs: Any) -> str:
    async with module.ClientSession() as client, client.get(url, **kwargs) as resp:
        text: str = await resp.text()
    return text


async def _error(module: ModuleType, url: URL, **kwargs: Any) -> BaseException:
    with pytest.raises(Exception) as info:
        await _get_text(module, url, **kwargs)
    return info.value


@pytest.mark.parametrize("client", CLIENTS)
async def test_matching_fingerprint_connects_without_trusting_the_ca(
    client: ModuleType, tls_url: URL, digest: bytes
) -> None:
    assert await _get_text(client, tls_url, ssl=client.Fingerprint(digest)) == "pinned"


async def test_untrusted_ca_without_fingerprint_is_a_certificate_error(tls_url: URL) -> None:
    theirs = await _error(aiohttp, tls_url)
    ours = await _error(aiotape, tls_url)
    assert isinstance(ours, type(theirs))
    assert type(ours).__name__ == "ClientConnectorCertificateError"


async def test_wrong_fingerprint_raises_aiohttps_mismatch(tls_url: URL, digest: bytes) -> None:
    wrong = bytes(32)
    theirs = await _error(aiohttp, tls_url, ssl=aiohttp.Fingerprint(wrong))
    ours = await _error(aiotape, tls_url, ssl=aiotape.Fingerprint(wrong))
    assert isinstance(ours, aiotape.ServerFingerprintMismatch)
    assert isinstance(ours, type(theirs))
    assert isinstance(theirs, aiohttp.ServerFingerprintMismatch)
    assert (ours.expected, ours.got, ours.host, ours.port) == (
        theirs.expected,
        theirs.got,
        theirs.host,
        theirs.port,
    )
    assert ours.got == digest
    assert repr(ours) == repr(theirs)


async def test_connector_fingerprint_pins_every_request(tls_url: URL, digest: bytes) -> None:
    for pinned, expected in ((digest, "pinned"), (bytes(32), None)):
        connector = aiotape.TCPConnector(ssl=aiotape.Fingerprint(pinned))
        async with aiotape.ClientSession(connector=connector) as client:
            if expected is None:
                with pytest.raises(aiotape.ServerFingerprintMismatch):
                    await client.get(tls_url)
            else:
                async with client.get(tls_url) as resp:
                    assert await resp.text() == expected


async def test_websocket_honours_the_fingerprint(tls_url: URL, digest: bytes) -> None:
    ws_url = tls_url.with_scheme("wss") / "ws"
    async with aiotape.ClientSession() as client:
        async with client.ws_connect(ws_url, ssl=aiotape.Fingerprint(digest)) as ws:
            await ws.send_str("hi")
            assert (await ws.receive_str()) == "hi"
        with pytest.raises(aiohttp.ServerFingerprintMismatch):
            await client.ws_connect(ws_url, ssl=aiotape.Fingerprint(bytes(32)))


@pytest.mark.parametrize("client", CLIENTS)
async def test_fingerprint_is_ignored_for_plain_http(client: ModuleType, httpbin: URL) -> None:
    async with client.ClientSession() as session:
        async with session.get(httpbin / "get", ssl=client.Fingerprint(bytes(32))) as resp:
            assert resp.status == 200


@pytest.mark.parametrize("size", [16, 20, 31, 64])
def test_fingerprint_refuses_weak_or_malformed_digests_as_aiohttp(size: int) -> None:
    with pytest.raises(ValueError) as theirs:
        aiohttp.Fingerprint(bytes(size))
    with pytest.raises(ValueError) as ours:
        aiotape.Fingerprint(bytes(size))
    assert str(ours.value) == str(theirs.value)


def test_fingerprint_keeps_its_digest() -> None:
    assert aiotape.Fingerprint(b"\x01" * 32).fingerprint == b"\x01" * 32


async def test_ssl_of_unknown_type_is_refused_as_aiohttp(httpbin: URL) -> None:
    bogus = object()
    theirs = await _error(aiohttp, httpbin / "get", ssl=bogus)
    ours = await _error(aiotape, httpbin / "get", ssl=bogus)
    assert type(theirs) is type(ours) is TypeError
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("client", CLIENTS)
async def test_connector_refuses_ssl_of_unknown_type(client: ModuleType) -> None:
    with pytest.raises(TypeError, match="ssl should be SSLContext, bool, Fingerprint or None"):
        client.TCPConnector(ssl="yes")
