"""aiohttp's less common session and request options: checked here, refused where unsupported.

Each check accepts what aiotape does as aiohttp does and raises a clear error for the rest,
so code written for aiohttp fails at the call instead of behaving differently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from multidict import CIMultiDict

from .response import ClientResponse, HttpVersion, HttpVersion10, HttpVersion11
from .transport import Response

if TYPE_CHECKING:
    from .tracing import TraceConfig

__all__ = [
    "CharsetResolver",
    "Limits",
    "check_class",
    "check_request_class",
    "check_version",
    "frozen",
    "running_loop",
    "version_headers",
    "with_expect_continue",
    "without_unframed_body",
]

_C = TypeVar("_C", bound=type)

CharsetResolver = Callable[[ClientResponse, bytes], str]
"""``fallback_charset_resolver``: the encoding of a body whose Content-Type names none."""

Limits = tuple[int, int, int]
"""``(max_line_size, max_field_size, max_headers)`` of response heads."""


def running_loop(loop: asyncio.AbstractEventLoop | None) -> asyncio.AbstractEventLoop | None:
    """The loop a session reports: the one given, else the running one (None outside one)."""
    if loop is not None:
        return loop
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def frozen(configs: list[TraceConfig] | None) -> list[TraceConfig]:
    """A session's trace configs (``[]`` for None), each frozen: their signals are fixed."""
    configs = configs or []
    for config in configs:
        config.freeze()
    return configs


def check_class(cls: _C, base: type, option: str) -> _C:
    """``cls`` if it is ``base`` or a subclass; ``TypeError`` naming the option otherwise."""
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise TypeError(
            f"{option} must be {base.__module__}.{base.__qualname__} or a subclass, not {cls!r}"
        )
    return cls


def check_request_class(request_class: Any) -> None:
    """aiotape builds its wire requests itself: only the default ``request_class`` is accepted."""
    if request_class is not None:
        raise NotImplementedError(
            f"request_class={request_class!r} is not supported: aiotape builds requests "
            "itself; change requests with middlewares= instead"
        )


def check_version(version: HttpVersion | str) -> HttpVersion:
    """The session's HTTP version: 1.1 or 1.0 (``ValueError`` otherwise), parsed from "1.0"."""
    if version is HttpVersion11:  # the default
        return version
    if isinstance(version, str):
        major, _, minor = version.partition(".")
        try:
            version = HttpVersion(int(major), int(minor))
        except ValueError:
            raise ValueError(f"Can not parse http version number: {version}") from None
    if version not in (HttpVersion11, HttpVersion10):
        raise ValueError(f"aiotape sends HTTP/1.1 or HTTP/1.0 requests, not version={version!r}")
    return HttpVersion11 if version == HttpVersion11 else HttpVersion10


def version_headers(version: HttpVersion, headers: CIMultiDict[str]) -> None:
    """HTTP/1.0 asks to keep the connection (``Connection: keep-alive``) unless told otherwise."""
    if version == HttpVersion10 and "Connection" not in headers:
        headers["Connection"] = "keep-alive"


def with_expect_continue(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> CIMultiDict[str]:
    """The request's headers with ``Expect: 100-continue`` (``expect100=True``)."""
    merged: CIMultiDict[str] = CIMultiDict(headers or ())
    merged["Expect"] = "100-continue"
    return merged


class _NoBody:
    """A body stream that is already at its end; closing it drops the one it replaces."""

    __slots__ = ("_wire",)

    def __init__(self, wire: Any) -> None:
        self._wire = wire

    async def read_chunk(self) -> bytes:
        return b""

    def close(self) -> None:
        self._wire.close()


def without_unframed_body(wire: Response) -> Response:
    """``read_until_eof=False``: a body framed by neither Content-Length nor chunked is empty."""
    headers = wire.headers
    if "Content-Length" in headers or "chunked" in headers.get("Transfer-Encoding", "").lower():
        return wire
    return replace(wire, body=_NoBody(wire.body))
