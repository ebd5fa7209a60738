"""aiotape's public names mirror aiohttp's client names (and their class hierarchy)."""

from __future__ import annotations

import asyncio
import ssl

import aiohttp
import pytest

import aiotape

DESIGN_NAMES = [
    *("ClientSession", "ClientResponse", "ClientWebSocketResponse", "ClientTimeout"),
    *("FormData", "BasicAuth", "CookieJar", "DummyCookieJar", "StreamReader"),
    *("WSMsgType", "WSMessage", "WSCloseCode", "TCPConnector", "request"),
    *("ClientError", "ClientConnectionError", "ClientConnectorError", "ClientOSError"),
    *("ServerDisconnectedError", "ClientResponseError", "ClientPayloadError"),
    *("ContentTypeError", "TooManyRedirects", "InvalidURL", "ServerTimeoutError"),
    *("ConnectionTimeoutError", "SocketTimeoutError", "WSServerHandshakeError"),
]

CLIENT_EXCEPTIONS = [
    name
    for name in dir(aiohttp.client_exceptions)
    if isinstance(getattr(aiohttp.client_exceptions, name), type)
    and issubclass(getattr(aiohttp.client_exceptions, name), (aiohttp.ClientError,))
    and name in aiohttp.__all__
    and name != "UnixClientConnectorError"
]


def test_all_lists_every_design_name() -> None:
    missing = [name for name in DESIGN_NAMES if name not in aiotape.__all__]
    assert missing == []
    assert all(hasattr(aiotape, name) for name in aiotape.__all__)


@pytest.mark.parametrize("name", CLIENT_EXCEPTIONS)
def test_exception_hierarchy_matches_aiohttp(name: str) -> None:
    ours = getattr(aiotape, name)
    theirs = getattr(aiohttp, name)
    their_bases = {
        b.__name__ for b in theirs.__mro__ if b.__module__.startswith("aiohttp") and b is not theirs
    }
    our_bases = {b.__name__ for b in ours.__mro__ if b.__module__.startswith("aiotape")}
    assert their_bases <= our_bases
    for builtin in (OSError, ValueError, asyncio.TimeoutError, ssl.SSLError, ssl.CertificateError):
        assert issubclass(ours, builtin) == issubclass(theirs, builtin)


def test_message_types_and_close_codes_match_aiohttp() -> None:
    assert {m.name: m.value for m in aiotape.WSMsgType} == {
        m.name: m.value for m in aiohttp.WSMsgType
    }
    for code in aiotape.WSCloseCode:
        assert aiohttp.WSCloseCode[code.name].value == code.value
