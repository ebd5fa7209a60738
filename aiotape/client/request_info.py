"""The plain records a request is known by: ``RequestInfo`` (on responses and response errors)
and ``ConnectionKey`` (which pool of connections serves it, also on connection errors), and
the type of the ``ssl=`` setting they carry."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any, NamedTuple, Protocol, TypeAlias

from multidict import CIMultiDictProxy
from yarl import URL

__all__ = ["CertificatePin", "ConnectionKey", "RequestInfo", "SSLSetting"]


class CertificatePin(Protocol):
    """An ``ssl=`` setting that pins the server certificate: what records and errors know of
    ``fingerprint.Fingerprint``, the one kind ``ssl=`` accepts (named here, not imported:
    ``fingerprint`` raises client exceptions, whose classes carry these records)."""

    @property
    def fingerprint(self) -> bytes:
        """The expected SHA-256 digest of the server certificate."""
        ...

    def check(self, transport: asyncio.Transport) -> None:
        """Raise ServerFingerprintMismatch unless the TLS peer's certificate matches."""
        ...


SSLSetting: TypeAlias = "ssl.SSLContext | bool | CertificatePin"
"""The ``ssl=`` setting: an SSLContext, a bool, or a pinned certificate (a Fingerprint)."""


class ConnectionKey(NamedTuple):
    """Identifies a pool of interchangeable connections (aiohttp's ConnectionKey)."""

    host: str
    port: int | None
    is_ssl: bool
    ssl: SSLSetting
    proxy: URL | None = None
    proxy_auth: Any = None
    proxy_headers_hash: int | None = None
    server_hostname: str | None = None


class RequestInfo(NamedTuple):
    """What was requested: attached to responses and response errors."""

    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL
