"""MockResponse: what a route answers, turned into a wire Response for the real session code."""

from __future__ import annotations

import json as _json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from ..client.simulation import exception_for, first_timeout, reason_phrase
from ..client.transport import ChunkedBody, Request, Response
from .matching import UNSET

__all__ = ["CallbackResult", "MockResponse", "ResponseHeaders"]

ResponseHeaders = Mapping[str, str] | Iterable[tuple[str, str]]


_KINDS = ("json", "text", "body", "chunks")


def _latin1_pairs(head: CIMultiDict[str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in head.items()]


def _encode_chunks(chunks: Iterable[bytes | str]) -> tuple[bytes, ...]:
    return tuple(c.encode() if isinstance(c, str) else bytes(c) for c in chunks)


@dataclass(frozen=True, slots=True, init=False)
class MockResponse:
    """A canned answer. At most one of ``json``, ``text``, ``body`` or ``chunks`` gives the body.

    ``chunks`` streams the body in exactly those pieces. Headers are sent as given (so a
    ``Content-Encoding`` header makes the session decompress ``body``); ``Content-Type`` comes
    from ``content_type`` or the body kind, ``Content-Length`` from the body size.
    ``delay`` is simulated seconds before the response head: more than the request's
    remaining total timeout (less the simulated time of earlier redirect hops) or its
    sock_read timeout raises what the real client raises, at once; otherwise the answer is
    immediate and carries ``delay`` as its ``simulated_elapsed``. ``exception`` (an instance
    or class) is raised instead of answering.
    """

    status: int
    reason: str
    headers: CIMultiDictProxy[str]
    raw_headers: tuple[tuple[bytes, bytes], ...] = field(repr=False)
    chunks: tuple[bytes, ...]
    delay: float
    exception: BaseException | type[BaseException] | None

    def __init__(
        self,
        status: int = 200,
        *,
        reason: str | None = None,
        headers: ResponseHeaders | None = None,
        json: Any = UNSET,
        text: str | None = None,
        body: bytes | str | None = None,
        chunks: Sequence[bytes | str] | None = None,
        content_type: str | None = None,
        delay: float = 0.0,
        exception: BaseException | type[BaseException] | None = None,
    ) -> None:
        kinds = (json is not UNSET, text is not None, body is not None, chunks is not None)
        if sum(kinds) > 1:
            given = [name for name, present in zip(_KINDS, kinds, strict=True) if present]
            raise TypeError(f"give at most one of json, text, body, chunks (got {given})")
        if delay < 0:
            raise ValueError("delay must be >= 0")
        payload: tuple[bytes, ...] = ()
        default_type: str | None = None
        if json is not UNSET:
            payload, default_type = (_json.dumps(json).encode(),), "application/json"
        elif text is not None:
            payload, default_type = (text.encode(),), "text/plain"
            if content_type is not None and "charset" not in content_type:
                content_type += "; charset=utf-8"
            content_type = content_type or "text/plain; charset=utf-8"
        elif body is not None:
            payload, default_type = _encode_chunks((body,)), "application/octet-stream"
        elif chunks is not None:
            payload, default_type = _encode_chunks(chunks), "application/octet-stream"
        head = CIMultiDict(headers) if headers else CIMultiDict()
        if "Content-Type" not in head and (content_type or default_type):
            head["Content-Type"] = content_type or default_type or ""
        if chunks is not None:
            if "Content-Length" not in head:
                head.setdefault("Transfer-Encoding", "chunked")
        elif "Content-Length" not in head and "Transfer-Encoding" not in head:
            head["Content-Length"] = str(sum(map(len, payload)))
        set_field = object.__setattr__  # what the frozen dataclass's own __init__ does
        set_field(self, "status", status)
        set_field(self, "reason", reason if reason is not None else reason_phrase(status))
        set_field(self, "headers", CIMultiDictProxy(head))
        set_field(self, "raw_headers", tuple(_latin1_pairs(head)))
        set_field(self, "chunks", tuple(filter(None, payload)))
        set_field(self, "delay", float(delay))
        set_field(self, "exception", exception)

    def check_delay(self, request: Request) -> None:
        """Raise the timeout the real client would hit while waiting ``delay`` for the head."""
        if not self.delay:
            return
        early = first_timeout(request, [self.delay], 0.0)
        if early is not None:
            raise early[1]

    def to_wire(self, request: Request) -> Response:
        """A fresh wire Response (HEAD requests get the head only)."""
        if self.delay or self.exception is not None:
            self._fail_early(request)
        return Response(
            self.status,
            self.reason,
            self.headers,
            ChunkedBody(() if request.method == "HEAD" else self.chunks),
            (1, 1),
            self.raw_headers,
            self.delay,
        )

    def _fail_early(self, request: Request) -> None:
        """Raise what a delay past the timeouts, or the ``exception``, makes the client raise."""
        self.check_delay(request)
        error = self.exception
        if isinstance(error, BaseException):
            raise error.with_traceback(None)
        if error is not None:
            raise exception_for(error, request)


@dataclass(frozen=True, slots=True)
class CallbackResult:
    """aioresponses' ``CallbackResult``, for callbacks written for aioresponses.

    ``payload`` (JSON) or ``body`` gives the body; ``content_type`` defaults to JSON as there.
    ``method`` is accepted and ignored, as aioresponses does.
    """

    method: str = "GET"
    status: int = 200
    body: str | bytes = ""
    content_type: str = "application/json"
    payload: Any = None
    headers: ResponseHeaders | None = None
    reason: str | None = None

    def to_mock_response(self) -> MockResponse:
        """The equivalent MockResponse."""
        content: dict[str, Any] = (
            {"json": self.payload} if self.payload is not None else {"body": self.body}
        )
        return MockResponse(
            self.status,
            reason=self.reason,
            headers=self.headers,
            content_type=self.content_type,
            **content,
        )
