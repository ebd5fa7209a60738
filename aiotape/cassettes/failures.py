"""Recorded failures: an exception becomes a RecordedError and back, same class and message."""

from __future__ import annotations

import asyncio
from functools import cache

from multidict import CIMultiDict, CIMultiDictProxy

from ..client import exceptions
from ..client.simulation import exception_for
from ..client.transport import Request
from .errors import CassetteFormatError
from .model import Phase, RecordedError

__all__ = ["describe", "rebuild", "recordable"]


@cache
def recordable() -> tuple[type[BaseException], ...]:
    """Exceptions a transport may raise that are part of the traffic (and so get recorded);
    a function so that the exception classes are built only once one is in flight."""
    return (exceptions.ClientError, asyncio.TimeoutError)


@cache
def _registry() -> dict[str, type[BaseException]]:
    """Recordable exception classes by name."""
    found: dict[str, type[BaseException]] = {"TimeoutError": asyncio.TimeoutError}
    for name in exceptions.__all__:
        value = getattr(exceptions, name)
        if isinstance(value, type) and issubclass(value, exceptions.ClientError):
            found[name] = value
    return found


def _registered_name(exc: BaseException) -> str:
    registry = _registry()
    for cls in type(exc).__mro__:
        if registry.get(cls.__name__) is cls:
            return cls.__name__
    return "TimeoutError" if isinstance(exc, asyncio.TimeoutError) else "ClientError"


def describe(exc: BaseException, phase: Phase | None = None) -> RecordedError:
    """A RecordedError for ``exc``; the phase defaults to connect or head by its class."""
    if phase is None:
        connecting = isinstance(
            exc, (exceptions.ClientConnectorError, exceptions.ConnectionTimeoutError)
        )
        phase = "connect" if connecting else "head"
    os_error: BaseException = exc
    if isinstance(exc, exceptions.ClientConnectorCertificateError):
        os_error = exc.certificate_error
    elif isinstance(exc, exceptions.ClientConnectorError):
        os_error = exc.os_error
    errno = getattr(os_error, "errno", None) if isinstance(os_error, OSError) else None
    strerror = getattr(os_error, "strerror", None) if isinstance(os_error, OSError) else None
    if isinstance(exc, exceptions.ClientResponseError):
        headers = () if exc.headers is None else tuple(exc.headers.items())
        return RecordedError(
            _registered_name(exc), exc.message, phase, status=exc.status, headers=headers
        )
    return RecordedError(
        type=_registered_name(exc),
        message=str(exc),
        phase=phase,
        errno=errno if isinstance(errno, int) else None,
        strerror=strerror if isinstance(strerror, str) else None,
    )


def rebuild(error: RecordedError, request: Request) -> BaseException:
    """A fresh exception of the recorded class, built for the replaying ``request`` (with
    the recorded answer's headers, when it kept them)."""
    cls = _registry().get(error.type)
    if cls is None:
        raise CassetteFormatError(f"unknown recorded error type {error.type!r}")
    exc = exception_for(
        cls,
        request,
        error.message,
        errno=error.errno,
        strerror=error.strerror,
        status=error.status,
    )
    if error.headers and isinstance(exc, exceptions.ClientResponseError):
        exc.headers = CIMultiDictProxy(CIMultiDict(error.headers))
    return exc
