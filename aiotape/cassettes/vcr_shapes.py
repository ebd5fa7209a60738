"""vcrpy's shapes for user code: the Request its hooks and matchers get, its response dict.

``before_record_request`` hooks and custom matchers receive a :class:`VcrRequest` (``method``,
``uri``/``url``, ``scheme``, ``host``, ``port``, ``path``, ``query``, a mutable
case-insensitive ``headers`` and ``body``), ``before_record_response`` hooks vcrpy's dict
``{"status": {"code", "message"}, "headers": {name: [values]}, "body": {"string"}}``. Both
are built from, and turned back into, aiotape's frozen snapshots.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .model import Headers, RecordedRequest, RecordedResponse

__all__ = [
    "HeadersDict",
    "VcrRequest",
    "request_from_vcr",
    "request_to_vcr",
    "response_from_vcr",
    "response_to_vcr",
]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class HeadersDict(MutableMapping[str, str]):
    """Case-insensitive header mapping keeping the first spelling of each name (vcrpy's).

    Assigning a list or tuple keeps its first value, as vcrpy does.
    """

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._store: dict[str, tuple[str, str]] = {}
        if data:
            self.update(data)

    def __setitem__(self, key: str, value: Any) -> None:
        if isinstance(value, (list, tuple)):
            value = value[0]
        old = self._store.get(key.lower())
        self._store[key.lower()] = (old[0] if old else key, str(value))

    def __getitem__(self, key: str) -> str:
        return self._store[key.lower()][1]

    def __delitem__(self, key: str) -> None:
        del self._store[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        return repr(dict(self.items()))


class VcrRequest:
    """A request as vcrpy's hooks and matchers see it (mutable: hooks may edit it in place)."""

    def __init__(self, method: str, uri: str, body: bytes | str | None, headers: Any) -> None:
        self.method = method
        self.uri = uri
        self.body = body
        self.headers = headers

    @property
    def uri(self) -> str:
        """The absolute URL."""
        return self._uri

    @uri.setter
    def uri(self, uri: str) -> None:
        self._uri = uri
        self._parsed = urlsplit(uri)

    @property
    def url(self) -> str:
        """``uri`` (vcrpy's alias)."""
        return self._uri

    @property
    def headers(self) -> HeadersDict:
        """Headers by case-insensitive name, one value each."""
        return self._headers

    @headers.setter
    def headers(self, value: Any) -> None:
        self._headers = value if isinstance(value, HeadersDict) else HeadersDict(value)

    @property
    def body(self) -> bytes | None:
        """The body (a str assigned is stored UTF-8 encoded)."""
        return self._body

    @body.setter
    def body(self, value: bytes | str | None) -> None:
        self._body = value.encode("utf-8") if isinstance(value, str) else value

    @property
    def scheme(self) -> str:
        """``http``, ``https``..."""
        return self._parsed.scheme

    protocol = scheme

    @property
    def host(self) -> str | None:
        """The host name, lowercased."""
        return self._parsed.hostname

    @property
    def port(self) -> int | None:
        """The port, defaulted from the scheme."""
        return self._parsed.port or _DEFAULT_PORTS.get(self._parsed.scheme)

    @property
    def path(self) -> str:
        """The path, without the query."""
        return self._parsed.path

    @property
    def query(self) -> list[tuple[str, str]]:
        """The query as sorted (name, value) pairs."""
        return sorted(parse_qsl(self._parsed.query))

    def __repr__(self) -> str:
        return f"<Request ({self.method}) {self.uri}>"


def request_to_vcr(request: RecordedRequest) -> VcrRequest:
    """A fresh VcrRequest for ``request`` (repeated headers keep their first value)."""
    headers = HeadersDict()
    for name, value in request.headers:
        if name not in headers:
            headers[name] = value
    return VcrRequest(request.method, request.uri, request.body, headers)


def _merge_headers(original: Headers, edited: Mapping[str, str]) -> Headers:
    """``edited`` as pairs; names whose first value is unchanged keep all their original pairs."""
    first: dict[str, str] = {}
    for name, value in original:
        first.setdefault(name.lower(), value)
    unchanged = {name.lower() for name, value in edited.items() if first.get(name.lower()) == value}
    pairs = [(name, value) for name, value in original if name.lower() in unchanged]
    pairs.extend((name, value) for name, value in edited.items() if name.lower() not in unchanged)
    return tuple(pairs)


def request_from_vcr(vcr: VcrRequest, original: RecordedRequest) -> RecordedRequest:
    """The snapshot ``vcr`` now describes (``original``: the one it was made from)."""
    body = vcr.body if isinstance(vcr.body, bytes) else b""
    return RecordedRequest(
        str(vcr.method).upper(), vcr.uri, _merge_headers(original.headers, vcr.headers), body
    )


def response_to_vcr(response: RecordedResponse) -> dict[str, Any]:
    """vcrpy's response dict for ``response`` (a fresh one: hooks may mutate it)."""
    headers: dict[str, list[str]] = {}
    for name, value in response.headers:
        headers.setdefault(name, []).append(value)
    return {
        "status": {"code": response.status, "message": response.reason},
        "headers": headers,
        "body": {"string": response.body},
    }


def response_from_vcr(data: Mapping[str, Any], original: RecordedResponse) -> RecordedResponse:
    """The snapshot vcrpy's dict ``data`` now describes; an edited body becomes one chunk."""
    status = data.get("status") or {}
    headers = tuple(
        (str(name), str(value))
        for name, values in (data.get("headers") or {}).items()
        for value in (values if isinstance(values, (list, tuple)) else [values])
    )
    body = (data.get("body") or {}).get("string")
    if isinstance(body, str):
        body = body.encode("utf-8")
    result = dataclasses.replace(
        original,
        status=int(status.get("code", original.status)),
        reason=str(status.get("message", original.reason) or ""),
        headers=headers,
    )
    if body is None or body == original.body:
        return result
    if not body:
        return dataclasses.replace(result, chunks=(), chunk_times=())
    times = original.chunk_times[-1:]
    return dataclasses.replace(result, chunks=(body,), chunk_times=times)
