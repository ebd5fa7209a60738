"""Keyword arguments of requests and ``ws_connect`` as TypedDicts: misspelt ones fail type checks.

``ClientSession.get(url, **kwargs: Unpack[RequestOptions])`` (and the other verbs) take exactly
these names. ``Unpack`` is imported for type checkers only: typing has it from Python 3.11,
typing_extensions before (a type-checking-time name, never a runtime dependency).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from ssl import SSLContext
from typing import TYPE_CHECKING, Any, TypedDict

from yarl import URL

from .auth import BasicAuth
from .fingerprint import SSLSetting
from .middlewares import ClientMiddlewareType
from .response import ClientResponse
from .timeouts import ClientTimeout

if TYPE_CHECKING:
    from .ws_timeout import ClientWSTimeout
    if sys.version_info >= (3, 11):
        from typing import Unpack as Unpack
    else:
        from typing_extensions import Unpack as Unpack

__all__ = ["RaiseForStatus", "RequestOptions", "WSConnectOptions"]

RaiseForStatus = bool | Callable[[ClientResponse], Awaitable[None]]


class RequestOptions(TypedDict, total=False):
    """What ``ClientSession.request`` and its verbs accept besides method and URL."""

    params: Any
    data: Any
    json: Any
    cookies: Any
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None
    skip_auto_headers: Iterable[str] | None
    auth: BasicAuth | None
    allow_redirects: bool
    max_redirects: int
    chunked: bool | None
    raise_for_status: RaiseForStatus | None
    timeout: ClientTimeout | float | None
    ssl: SSLSetting | None
    verify_ssl: bool | None
    ssl_context: SSLContext | None
    fingerprint: bytes | None
    server_hostname: str | None
    proxy: str | URL | None
    proxy_auth: BasicAuth | None
    proxy_headers: Mapping[str, str] | Iterable[tuple[str, str]] | None
    auto_decompress: bool | None
    read_bufsize: int | None
    trace_request_ctx: Any
    middlewares: Sequence[ClientMiddlewareType] | None
    compress: str | bool | None
    expect100: bool
    read_until_eof: bool
    max_line_size: int | None
    max_field_size: int | None
    max_headers: int | None


class WSConnectOptions(TypedDict, total=False):
    """What ``ClientSession.ws_connect`` accepts besides the URL."""

    protocols: Iterable[str]
    timeout: ClientWSTimeout | float | None
    receive_timeout: float | None
    autoclose: bool
    autoping: bool
    heartbeat: float | None
    auth: BasicAuth | None
    origin: str | None
    params: Any
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None
    proxy: str | URL | None
    proxy_auth: BasicAuth | None
    proxy_headers: Mapping[str, str] | Iterable[tuple[str, str]] | None
    ssl: SSLSetting | None
    server_hostname: str | None
    max_msg_size: int
    compress: int
    method: str
    decode_text: bool
