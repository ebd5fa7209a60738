"""The plain records a request is known by: ``RequestInfo`` (on responses and response errors)
and ``ConnectionKey`` (which pool of connections serves it, also on connection errors)."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any, NamedTuple

from multidict import CIMultiDictProxy
from yarl import URL

if TYPE_CHECKING:
    from .fingerprint import Fingerprint

__all__ = ["ConnectionKey", "RequestInfo"]


class ConnectionKey(NamedTuple):
    """Identifies a pool of interchangeable connections (aiohttp's ConnectionKey)."""

    host: str
    port: int | None
    is_ssl: bool
    ssl: ssl.SSLContext | bool | Fingerprint
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
