"""``ConnectionKey``: which pool of interchangeable connections serves a request (also carried
by connection errors). Imported by the network transport's first request and by the first
connection error, never by a replayed or mocked request that succeeds."""

from __future__ import annotations

from typing import Any, NamedTuple

from yarl import URL

from .request_info import SSLSetting

__all__ = ["ConnectionKey"]


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
