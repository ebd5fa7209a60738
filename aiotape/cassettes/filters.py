"""Redaction and user hooks applied to every interaction before it is written (vcrpy's names).

The request side also runs on live requests before matching, so a recorded (filtered) request
still matches the live one it came from. Hooks get vcrpy's shapes (see :mod:`.vcr_shapes`).
Query-string credentials (:data:`DEFAULT_REDACTED_QUERY`) are redacted by default; matching
ignores their values (see :mod:`.matching`), so cassettes recorded in clear still replay.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from ..client import exceptions
from ..client.decoders import make_decoder
from .model import RecordedRequest, RecordedResponse

if TYPE_CHECKING:  # the shapes are imported by the first hook run (a replay runs none)
    from .vcr_shapes import VcrRequest

__all__ = [
    "DEFAULT_REDACTED_HEADERS",
    "DEFAULT_REDACTED_QUERY",
    "REDACTED",
    "FilterSpec",
    "Filters",
    "RequestHook",
    "ResponseHook",
    "decode_compressed",
    "redact_query",
]

REDACTED = "REDACTED"
"""The value that replaces a redacted credential."""

DEFAULT_REDACTED_HEADERS = (
    "Authorization",
    "Proxy-Authorization",
    "Cookie",
    "X-Api-Key",
    "Api-Key",
    "X-Auth-Token",
)
"""Request headers whose values never reach a cassette (Set-Cookie in responses is kept)."""

DEFAULT_REDACTED_QUERY = frozenset(
    {
        "api_key",
        "apikey",
        "access_token",
        "token",
        "key",
        "secret",
        "password",
        "client_secret",
        "signature",
    }
)
"""Query parameters (any case) whose values never reach a cassette."""

FilterSpec = str | tuple[str, str | None]
"""A name (remove it) or ``(name, replacement)``; a ``None`` replacement removes it too."""

RequestHook = Callable[["VcrRequest"], "VcrRequest | None"]
"""``before_record_request``: gets vcrpy's Request; returns the one to keep, or None to skip."""

ResponseHook = Callable[[dict[str, Any]], dict[str, Any] | None]
"""``before_record_response``: gets vcrpy's response dict; returns it, or None to skip."""

_KNOWN_CODINGS = frozenset({"gzip", "x-gzip", "deflate", "br", "identity"})


def _specs(items: Iterable[FilterSpec]) -> tuple[tuple[str, str | None], ...]:
    return tuple((item, None) if isinstance(item, str) else (item[0], item[1]) for item in items)


_T = TypeVar("_T")


def _hooks(hook: _T | Sequence[_T] | None) -> tuple[_T, ...]:
    if hook is None:
        return ()
    if isinstance(hook, Sequence):
        return tuple(hook)
    return (hook,)


def _apply(
    pairs: Iterable[tuple[str, str]], specs: dict[str, str | None], *, fold: bool
) -> list[tuple[str, str]]:
    kept: list[tuple[str, str]] = []
    for name, value in pairs:
        key = name.lower() if fold else name
        if key not in specs:
            kept.append((name, value))
        elif (replacement := specs[key]) is not None:
            kept.append((name, replacement))
    return kept


def redact_query(uri: str, names: frozenset[str]) -> str:
    """``uri`` with the values of the query parameters ``names`` (lowercase) redacted."""
    base, _, query = uri.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(name.lower() in names and value != REDACTED for name, value in pairs):
        return uri
    redacted = [(n, REDACTED if n.lower() in names else v) for n, v in pairs]
    return f"{base}?{urlencode(redacted)}"


def _decoded_chunks(chunks: Sequence[bytes], codings: Sequence[str]) -> list[bytes] | None:
    """Each wire chunk decoded (through every coding, last applied first); None if it fails."""
    decoders = [make_decoder(coding) for coding in reversed(codings)]
    out: list[bytes] = []
    try:
        for position, chunk in enumerate(chunks):
            last = position == len(chunks) - 1
            for decoder in decoders:
                if decoder is not None:
                    chunk = decoder.decompress(chunk)
                    while decoder.pending:
                        chunk += decoder.decompress(b"")
                    if last:
                        chunk += decoder.flush()
            out.append(chunk)
    except (exceptions.ClientPayloadError, ImportError):
        return None
    return out


def decode_compressed(response: RecordedResponse) -> RecordedResponse:
    """vcrpy's ``decode_compressed_response``: the decoded body, no Content-Encoding, its length.

    Unknown codings, bodies that do not decode, partly recorded and empty bodies (HEAD) stay
    as they are.
    """
    codings = [
        coding.strip().lower()
        for name, value in response.headers
        if name.lower() == "content-encoding"
        for coding in value.split(",")
        if coding.strip()
    ]
    known = _KNOWN_CODINGS.issuperset(codings)
    if not codings or not response.chunks or not response.complete or not known:
        return response
    decoded = _decoded_chunks(response.chunks, codings)
    if decoded is None:
        return response
    kept = [(i, chunk) for i, chunk in enumerate(decoded) if chunk]
    times = response.chunk_times
    length = sum(len(chunk) for _, chunk in kept)
    headers = [(n, v) for n, v in response.headers if n.lower() not in _LENGTH_AND_CODING]
    headers.append(("Content-Length", str(length)))
    return replace(
        response,
        headers=tuple(headers),
        chunks=tuple(chunk for _, chunk in kept),
        chunk_times=tuple(times[i] for i, _ in kept) if len(times) == len(decoded) else (),
    )


_LENGTH_AND_CODING = frozenset({"content-encoding", "content-length"})


class Filters:
    """What to strip or replace before recording (and before matching live requests)."""

    __slots__ = (
        "decode_compressed_response",
        "headers",
        "post_data",
        "query",
        "redacted_query",
        "request_hooks",
        "response_hooks",
    )

    def __init__(
        self,
        *,
        headers: tuple[tuple[str, str | None], ...] = (),
        query: tuple[tuple[str, str | None], ...] = (),
        post_data: tuple[tuple[str, str | None], ...] = (),
        request_hooks: tuple[RequestHook, ...] = (),
        response_hooks: tuple[ResponseHook, ...] = (),
        redacted_query: frozenset[str] = DEFAULT_REDACTED_QUERY,
        decode_compressed_response: bool = False,
    ) -> None:
        self.headers = headers
        self.query = query
        self.post_data = post_data
        self.request_hooks = request_hooks
        self.response_hooks = response_hooks
        self.redacted_query = redacted_query
        self.decode_compressed_response = decode_compressed_response

    @classmethod
    def build(
        cls,
        *,
        filter_headers: Iterable[FilterSpec] = (),
        filter_query_parameters: Iterable[FilterSpec] = (),
        filter_post_data_parameters: Iterable[FilterSpec] = (),
        before_record_request: RequestHook | Sequence[RequestHook] | None = None,
        before_record_response: ResponseHook | Sequence[ResponseHook] | None = None,
        redact_headers: Iterable[str] = DEFAULT_REDACTED_HEADERS,
        redact_query: Iterable[str] = DEFAULT_REDACTED_QUERY,
        decode_compressed_response: bool = False,
    ) -> Filters:
        """vcrpy-style options; ``redact_*`` names become ``REDACTED`` unless overridden."""
        headers: dict[str, str | None] = {name.lower(): REDACTED for name in redact_headers}
        headers.update((name.lower(), value) for name, value in _specs(filter_headers))
        query = _specs(filter_query_parameters)
        overridden = {name.lower() for name, _ in query}
        return cls(
            headers=tuple(headers.items()),
            query=query,
            post_data=_specs(filter_post_data_parameters),
            request_hooks=_hooks(before_record_request),
            response_hooks=_hooks(before_record_response),
            redacted_query=frozenset(n.lower() for n in redact_query) - overridden,
            decode_compressed_response=decode_compressed_response,
        )

    def request(self, request: RecordedRequest) -> RecordedRequest | None:
        """The request as it may be written, or None if a hook dropped it."""
        if self.headers:
            kept = _apply(request.headers, dict(self.headers), fold=True)
            request = replace(request, headers=tuple(kept))
        if self.query and "?" in request.uri:
            base, _, query = request.uri.partition("?")
            pairs = _apply(parse_qsl(query, keep_blank_values=True), dict(self.query), fold=False)
            uri = f"{base}?{urlencode(pairs)}" if pairs else base
            request = replace(request, uri=uri)
        if self.redacted_query and "?" in request.uri:
            request = replace(request, uri=redact_query(request.uri, self.redacted_query))
        if self.post_data and request.body:
            request = replace(request, body=self._post_data(request))
        if not self.request_hooks:
            return request
        from .vcr_shapes import request_from_vcr, request_to_vcr

        for hook in self.request_hooks:
            shaped = hook(request_to_vcr(request))
            if shaped is None:
                return None
            request = request_from_vcr(shaped, request)
        return request

    def _post_data(self, request: RecordedRequest) -> bytes:
        specs = dict(self.post_data)
        content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        if content_type == "application/x-www-form-urlencoded":
            pairs = parse_qsl(request.body.decode("latin-1"), keep_blank_values=True)
            return urlencode(_apply(pairs, specs, fold=False)).encode("latin-1")
        if content_type == "application/json" or content_type.endswith("+json"):
            try:
                document = json.loads(request.body)
            except ValueError:
                return request.body
            if isinstance(document, dict):
                pairs = _apply(document.items(), specs, fold=False)
                return json.dumps(dict(pairs)).encode()
        return request.body

    def response(self, response: RecordedResponse) -> RecordedResponse | None:
        """The response as it may be written, or None if a hook dropped it."""
        if self.decode_compressed_response:
            response = decode_compressed(response)
        if not self.response_hooks:
            return response
        from .vcr_shapes import response_from_vcr, response_to_vcr

        shaped = response_to_vcr(response)
        for hook in self.response_hooks:
            result = hook(shaped)
            if result is None:
                return None
            shaped = result
        return response_from_vcr(shaped, response)
