"""Simulated traffic: what transports without a live peer share with the network transport.

Mocks and cassette replay answer at once, on a virtual clock: ``first_timeout`` compares
simulated latencies with a request's timeouts as the network transport's timers would, and
``exception_for`` builds the exceptions the live client raises. The websocket handshake
response is built here for every transport.
"""

from __future__ import annotations

import asyncio
import errno as _errno
import functools
import ssl
from collections.abc import Iterable, Sequence
from http import HTTPStatus

from multidict import CIMultiDict, CIMultiDictProxy

from . import exceptions
from .request_info import RequestInfo
from .timeouts import deadline, earliest
from .transport import ChunkedBody, Request, Response

__all__ = ["exception_for", "first_timeout", "handshake_response", "reason_phrase"]


def reason_phrase(status: int) -> str:
    """The standard reason phrase of ``status`` (empty for a status HTTP names none for)."""
    return _reasons().get(status, "")


@functools.cache
def _reasons() -> dict[int, str]:
    """The phrases by status, made on first use (a replay never asks)."""
    return {status.value: status.phrase for status in HTTPStatus}


def first_timeout(
    request: Request,
    events: Sequence[float],
    start: float,
    *,
    connecting: bool = False,
) -> tuple[int, BaseException] | None:
    """The first of ``events`` (simulated seconds into this hop) a timeout fires before.

    The total deadline counts from now, less ``request.simulated_elapsed`` (the simulated
    time of the request's earlier redirect hops); the gap timer is sock_read between events
    (the first gap from ``start``), or connect/sock_connect while ``connecting``. Returns the
    position of the event the timeout preempts and the exception the live client would raise
    there, or None if all are in time.
    """
    now = asyncio.get_running_loop().time()
    timeout = request.timeout
    total_at = (
        None if request.deadline is None else request.deadline - now - request.simulated_elapsed
    )
    if connecting:
        gap_at = earliest(
            deadline(now, timeout.connect, timeout.ceil_threshold),
            deadline(now, timeout.sock_connect, timeout.ceil_threshold),
        )
    else:
        gap_at = deadline(now, timeout.sock_read, timeout.ceil_threshold)
    gap = None if gap_at is None else gap_at - now
    previous = start
    for position, at in enumerate(events):
        gap_fires = None if gap is None else previous + gap
        total_first = gap_fires is None or (total_at is not None and total_at <= gap_fires)
        if total_at is not None and at > total_at and total_first:
            return position, asyncio.TimeoutError()
        if gap_fires is not None and at > gap_fires:
            if connecting:
                return position, exceptions.ConnectionTimeoutError(
                    f"Connection timeout to host {request.url}"
                )
            return position, exceptions.SocketTimeoutError("Timeout on reading data from socket")
        previous = at
    return None


def exception_for(
    cls: type[BaseException],
    request: Request,
    message: str = "",
    *,
    errno: int | None = None,
    strerror: str | None = None,
    status: int | None = None,
) -> BaseException:
    """An instance of ``cls`` built as the client would raise it while sending ``request``.

    Mocks (``exception=ClientConnectorError``) and cassette replay use it to raise aiotape's
    classes with their real constructor arguments (connection key, request info, OS error).
    A connector error with no errno or message defaults to "connection refused".
    """
    url = request.url
    if issubclass(cls, exceptions.ClientConnectorError):
        from .pool_key import ConnectionKey  # imported by the first simulated connector error
        from .schemes import SECURE_SCHEMES

        key = ConnectionKey(
            url.host or "",
            url.port,
            url.scheme in SECURE_SCHEMES,
            request.ssl,
            server_hostname=request.server_hostname,
        )
        if issubclass(cls, exceptions.ClientConnectorCertificateError):
            if errno is None:
                return cls(key, ssl.CertificateError(strerror or message))
            return cls(key, ssl.SSLCertVerificationError(errno, strerror))
        if errno is None and not (strerror or message):
            errno, strerror = _errno.ECONNREFUSED, "Connection refused"
        return cls(key, OSError(errno, strerror or message))
    if issubclass(cls, exceptions.ClientResponseError):
        info = RequestInfo(url, request.method, request.headers, url)
        return cls(info, (), status=status, message=message)
    if issubclass(cls, exceptions.InvalidURL):
        return cls(url)
    if issubclass(cls, exceptions.ServerDisconnectedError):
        return cls(message or None)
    if issubclass(cls, OSError) and errno is not None:
        return cls(errno, strerror or message)
    return cls(message) if message else cls()


def handshake_response(
    headers: Iterable[tuple[str, str]],
    status: int = 101,
    reason: str = "Switching Protocols",
) -> Response:
    """The handshake Response a WebSocketChannel carries: its head, an empty body."""
    head = CIMultiDict(headers)
    raw = tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in head.items())
    return Response(status, reason, CIMultiDictProxy(head), ChunkedBody(()), (1, 1), raw)
