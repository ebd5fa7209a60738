"""TLS through ClientSession against trustme-certified servers on 127.0.0.1.

Certificate problems raise ``ClientConnectorCertificateError`` and other handshake failures
``ClientConnectorSSLError``, both ``ClientSSLError`` as in aiohttp.
"""

from __future__ import annotations

import asyncio
import datetime
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trustme
from yarl import URL

import aiotape
from aiotape.client.exceptions import ClientConnectorSSLError, ClientSSLError
from tests.servers import StartRaw, tls_server_context

ServeTLS = Callable[[ssl.SSLContext], Awaitable[URL]]
NOW = datetime.datetime.now(datetime.timezone.utc)
HANDSHAKE_FAILURE_ALERT = b"\x15\x03\x03\x00\x02\x02\x28"  # TLS record: fatal alert 40


async def answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while await reader.readuntil(b"\r\n\r\n"):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


@pytest.fixture
def serve_tls(raw_server: StartRaw) -> ServeTLS:
    """``await serve_tls(context)``: URL of a TLS server answering ``ok`` to each request."""

    async def start(context: ssl.SSLContext) -> URL:
        return (await raw_server(answer_ok, ssl=context)).url / ""

    return start


@pytest.fixture
def valid(ca: trustme.CA) -> ssl.SSLContext:
    return tls_server_context(ca.issue_cert("127.0.0.1", "localhost"))


async def fetch(url: URL, **kwargs: Any) -> bytes:
    connector = kwargs.pop("connector", None)
    async with aiotape.ClientSession(connector=connector) as session:
        async with session.get(url, **kwargs) as resp:
            return await resp.read()


async def test_certificate_from_a_trusted_ca_is_verified(
    serve_tls: ServeTLS, valid: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    assert await fetch(await serve_tls(valid), ssl=trusting) == b"ok"


async def test_connector_context_applies_to_every_request(
    serve_tls: ServeTLS, valid: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    url = await serve_tls(valid)
    assert await fetch(url, connector=aiotape.TCPConnector(ssl=trusting)) == b"ok"


async def test_localhost_name_is_verified(
    serve_tls: ServeTLS, valid: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    url = (await serve_tls(valid)).with_host("localhost")
    assert await fetch(url, ssl=trusting) == b"ok"


async def test_untrusted_ca_raises_certificate_error(
    serve_tls: ServeTLS, valid: ssl.SSLContext
) -> None:
    url = await serve_tls(valid)
    with pytest.raises(aiotape.ClientConnectorCertificateError) as info:
        await fetch(url)
    assert isinstance(info.value, ClientSSLError)
    assert isinstance(info.value, ssl.CertificateError)
    assert isinstance(info.value.certificate_error, ssl.SSLCertVerificationError)
    assert "certificate verify failed" in str(info.value)


BAD_CERTIFICATES: dict[str, tuple[Callable[[trustme.CA], trustme.LeafCert], str]] = {
    "wrong hostname": (lambda ca: ca.issue_cert("other.test"), "match"),
    "expired": (
        lambda ca: ca.issue_cert(
            "127.0.0.1",
            not_before=NOW - datetime.timedelta(days=30),
            not_after=NOW - datetime.timedelta(days=1),
        ),
        "expired",
    ),
    "not yet valid": (
        lambda ca: ca.issue_cert(
            "127.0.0.1",
            not_before=NOW + datetime.timedelta(days=1),
            not_after=NOW + datetime.timedelta(days=30),
        ),
        "not yet valid",
    ),
}


@pytest.mark.parametrize(("issue", "match"), BAD_CERTIFICATES.values(), ids=list(BAD_CERTIFICATES))
async def test_bad_certificate_raises_certificate_error(
    ca: trustme.CA,
    serve_tls: ServeTLS,
    trusting: ssl.SSLContext,
    issue: Callable[[trustme.CA], trustme.LeafCert],
    match: str,
) -> None:
    url = await serve_tls(tls_server_context(issue(ca)))
    with pytest.raises(aiotape.ClientConnectorCertificateError, match=match):
        await fetch(url, ssl=trusting)


@pytest.mark.parametrize("problem", ["untrusted", "expired", "wrong host"])
async def test_ssl_false_accepts_any_certificate(
    ca: trustme.CA, serve_tls: ServeTLS, problem: str
) -> None:
    if problem == "untrusted":
        cert = trustme.CA().issue_cert("127.0.0.1")
    elif problem == "expired":
        cert = ca.issue_cert("127.0.0.1", not_after=NOW - datetime.timedelta(days=1))
    else:
        cert = ca.issue_cert("other.test")
    assert await fetch(await serve_tls(tls_server_context(cert)), ssl=False) == b"ok"


async def test_handshake_alert_raises_ssl_error(
    raw_server: StartRaw, trusting: ssl.SSLContext
) -> None:
    done = asyncio.Event()

    async def alert(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(5)  # the ClientHello has started
            writer.write(HANDSHAKE_FAILURE_ALERT)
            await reader.read()  # until the client hangs up
        finally:
            writer.close()
            done.set()

    url = (await raw_server(alert)).url.with_scheme("https")
    with pytest.raises(ClientConnectorSSLError, match="HANDSHAKE_FAILURE") as info:
        await fetch(url, ssl=trusting)
    await asyncio.wait_for(done.wait(), 10)
    assert isinstance(info.value, ClientSSLError)
    assert isinstance(info.value, ssl.SSLError)
    assert not isinstance(info.value, aiotape.ClientConnectorCertificateError)


async def test_custom_context_with_a_client_certificate_passes_mutual_tls(
    ca: trustme.CA, serve_tls: ServeTLS, valid: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    valid.verify_mode = ssl.CERT_REQUIRED
    ca.configure_trust(valid)
    ca.issue_cert("client@example.test").configure_cert(trusting)
    assert await fetch(await serve_tls(valid), ssl=trusting) == b"ok"


async def test_failed_handshake_leaves_the_session_usable(
    serve_tls: ServeTLS, valid: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    url = await serve_tls(valid)
    connector = aiotape.TCPConnector()
    async with aiotape.ClientSession(connector=connector) as session:
        with pytest.raises(aiotape.ClientConnectorCertificateError):
            await session.get(url)
        assert connector._total == 0
        async with session.get(url, ssl=trusting) as resp:
            assert await resp.read() == b"ok"
