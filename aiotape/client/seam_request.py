"""The seam's Request: what a transport receives (re-exported by :mod:`.transport`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Iterable
from typing import TYPE_CHECKING, Any, Final

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .auth import BasicAuth
from .records import Frozen, record
from .timeouts import DEFAULT_TIMEOUT, ClientTimeout

if TYPE_CHECKING:
    from .request_info import SSLSetting
    from .transport import TraceHooks

__all__ = ["Request", "request_loop", "url_string"]


_FIELDS: Final = (
    "method",
    "url",
    "headers",
    "body",
    "timeout",
    "started",
    "deadline",
    "ssl",
    "server_hostname",
    "simulated_elapsed",
    "trace",
    "head_limits",
    "version",
    "proxy",
    "proxy_auth",
    "proxy_headers",
)


class _RequestLayout:
    """The slots of a Request: its fields, ``_url_text``, where it keeps its URL as a string
    when the session had it at hand (see :func:`url_string`), and ``_loop``, the loop whose
    clock its ``started`` and ``deadline`` are on when a session made it (None: unknown, see
    :func:`request_loop`). Both are slots outside the dataclass fields, so that comparisons
    never see them, and a changed copy never keeps them.

    A Plan's ``_RequestDraft`` shares this base: a draft becomes a Request by a ``__class__``
    assignment, which CPython checks without comparing slot lists when the slots are a
    common base's.
    """

    __slots__ = (*_FIELDS, "_loop", "_url_text")
    _loop: asyncio.AbstractEventLoop | None
    _url_text: str | None


@record
class Request(Frozen, _RequestLayout):
    """A request exactly as it goes on the wire.

    ``url`` is absolute and canonical (params applied); ``headers`` are final (Host,
    Content-Type, Content-Length or Transfer-Encoding, Cookie, Authorization...). ``body`` is
    bytes or an async iterable streamed once. ``started`` is the loop time the request (its
    first hop) started; ``deadline`` the loop time its total timeout expires, already ceiled.
    ``simulated_elapsed`` is the simulated time (seconds no clock saw pass: mock delays,
    replayed latencies) its earlier redirect hops took; it counts against ``deadline``.
    ``trace`` is set only when the session has trace configs (for connection/DNS signals).
    ``head_limits`` are this request's ``(max_line_size, max_field_size, max_headers)`` for
    the response head; None: the transport's own. ``version`` is the request line's HTTP
    version (the session's ``version=``).
    ``proxy`` (no credentials), ``proxy_auth`` and ``proxy_headers`` say which HTTP proxy the
    network transport goes through; mocks and cassettes ignore them.
    """

    __match_args__ = _FIELDS
    __slots__ = ()  # the fields' slots are _RequestLayout's (named below, as a dataclass's)

    method: str
    url: URL
    headers: CIMultiDictProxy[str]
    body: bytes | AsyncIterable[bytes]
    timeout: ClientTimeout
    started: float
    deadline: float | None
    ssl: SSLSetting
    server_hostname: str | None
    simulated_elapsed: float
    trace: TraceHooks | None
    head_limits: tuple[int, int, int] | None
    version: tuple[int, int]
    proxy: URL | None
    proxy_auth: BasicAuth | None
    proxy_headers: CIMultiDictProxy[str] | None

    def __init__(
        self,
        method: str,
        url: URL,
        headers: CIMultiDictProxy[str],
        body: bytes | AsyncIterable[bytes] = b"",
        timeout: ClientTimeout = DEFAULT_TIMEOUT,
        started: float = 0.0,
        deadline: float | None = None,
        ssl: SSLSetting = True,
        server_hostname: str | None = None,
        simulated_elapsed: float = 0.0,
        trace: TraceHooks | None = None,
        head_limits: tuple[int, int, int] | None = None,
        version: tuple[int, int] = (1, 1),
        proxy: URL | None = None,
        proxy_auth: BasicAuth | None = None,
        proxy_headers: CIMultiDictProxy[str] | None = None,
    ) -> None:
        _set = object.__setattr__
        _set(self, "method", method)
        _set(self, "url", url)
        _set(self, "headers", headers)
        _set(self, "body", body)
        _set(self, "timeout", timeout)
        _set(self, "started", started)
        _set(self, "deadline", deadline)
        _set(self, "ssl", ssl)
        _set(self, "server_hostname", server_hostname)
        _set(self, "simulated_elapsed", simulated_elapsed)
        _set(self, "trace", trace)
        _set(self, "head_limits", head_limits)
        _set(self, "version", version)
        _set(self, "proxy", proxy)
        _set(self, "proxy_auth", proxy_auth)
        _set(self, "proxy_headers", proxy_headers)
        _set(self, "_loop", None)

    @classmethod
    def build(
        cls,
        method: str,
        url: URL | str,
        headers: Iterable[tuple[str, str]] | dict[str, str] = (),
        **kwargs: Any,
    ) -> Request:
        """Convenience constructor for transports and tests."""
        return cls(method, URL(url), CIMultiDictProxy(CIMultiDict(headers)), **kwargs)


Request.__slots__ = _FIELDS  # type: ignore[assignment]  # as a slots dataclass names them


def url_string(request: Request) -> str:
    """``str(request.url)``, without building it when the session made the request from
    that very string."""
    try:
        return request._url_text or str(request.url)
    except AttributeError:  # a Request made otherwise: the slot is not set
        return str(request.url)


def request_loop(request: Request) -> asyncio.AbstractEventLoop:
    """The loop whose clock ``request``'s times are on: its session's, without asking asyncio
    for the running loop (on 3.11 each ``get_running_loop()`` costs a getpid() system call),
    when the session made it."""
    return request._loop or asyncio.get_running_loop()
