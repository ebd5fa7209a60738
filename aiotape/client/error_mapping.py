"""The one boundary where socket, TLS and parser errors become aiotape exceptions.

Everything below it (dial.py, connection.py, http11.py) lets ``OSError``, ``ssl.SSLError``
and ``httptools.HttpParserError`` fly; :func:`map_exceptions` / :func:`translate` turn them
into aiohttp's client exception classes with aiohttp's messages. Nothing above catches
low-level errors.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from httptools import HttpParserError

from . import exceptions
from .pool_key import ConnectionKey
from .request_info import RequestInfo
from .transport import Request

__all__ = ["IncompleteResponse", "map_exceptions", "translate"]


class IncompleteResponse(Exception):
    """The peer closed the connection before the response was complete (raised by http11)."""

    def __init__(self, message: str, *, head_received: bool) -> None:
        super().__init__(message)
        self.message = message
        self.head_received = head_received


def _connect_error(exc: BaseException, key: ConnectionKey) -> BaseException:
    if isinstance(exc, socket.gaierror):
        return exceptions.ClientConnectorDNSError(key, exc)
    if isinstance(exc, ssl.CertificateError):
        return exceptions.ClientConnectorCertificateError(key, exc)
    if isinstance(exc, ssl.SSLError):
        return exceptions.ClientConnectorSSLError(key, exc)
    if isinstance(exc, OSError):
        return exceptions.ClientConnectorError(key, exc)
    return exc


def _exchange_error(
    exc: BaseException, request: Request | None, head_received: bool
) -> BaseException:
    if isinstance(exc, IncompleteResponse):
        if not exc.head_received:
            return exceptions.ServerDisconnectedError()
        return exceptions.ClientPayloadError(f"Response payload is not completed: {exc.message}")
    if isinstance(exc, HttpParserError):
        if head_received or request is None:
            return exceptions.ClientPayloadError(f"Response payload is not completed: {exc}")
        info = RequestInfo(request.url, request.method, request.headers, request.url)
        return exceptions.ClientResponseError(info, (), status=400, message=str(exc))
    if isinstance(exc, OSError):
        if head_received:
            return exceptions.ClientPayloadError(f"Response payload is not completed: {exc!r}")
        return exceptions.ClientOSError(*exc.args)
    return exc


def translate(
    exc: BaseException,
    key: ConnectionKey,
    *,
    connecting: bool = False,
    request: Request | None = None,
    head_received: bool = False,
) -> BaseException:
    """The aiotape exception for ``exc``; aiotape exceptions and foreign ones pass through.

    ``connecting``: the error happened while establishing the connection (DNS, TCP, TLS).
    Otherwise it happened on an established connection, before (``head_received=False``)
    or after the response head arrived.
    """
    if isinstance(exc, exceptions.ClientError):
        return exc
    if connecting:
        return _connect_error(exc, key)
    return _exchange_error(exc, request, head_received)


@contextmanager
def map_exceptions(
    key: ConnectionKey,
    *,
    connecting: bool = False,
    request: Request | None = None,
    head_received: bool = False,
) -> Iterator[None]:
    """Re-raise low-level errors of the block as aiotape exceptions (see :func:`translate`)."""
    try:
        yield
    except (OSError, HttpParserError, IncompleteResponse) as exc:
        mapped = translate(
            exc, key, connecting=connecting, request=request, head_received=head_received
        )
        if mapped is exc:
            raise
        raise mapped from exc
