"""Redaction and user hooks applied to every interaction before it is written (vcrpy's names).

The request side also runs on live requests before matching, so a recorded (filtered) request
still matches the live one it came from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode

from .model import RecordedRequest, RecordedResponse

__all__ = [
    "DEFAULT_REDACTED_HEADERS",
    "REDACTED",
    "FilterSpec",
    "Filters",
    "RequestHook",
    "ResponseHook",
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

FilterSpec = str | tuple[str, str | None]
"""A name (remove it) or ``(name, replacement)``; a ``None`` replacement removes it too."""

RequestHook = Callable[[RecordedRequest], RecordedRequest | None]
"""``before_record_request``: returns the request to keep, or None to not record it."""

ResponseHook = Callable[[RecordedResponse], RecordedResponse | None]
"""``before_record_response``: returns the response to keep, or None to not record it."""


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


@dataclass(frozen=True, slots=True)
class Filters:
    """What to strip or replace before recording (and before matching live requests)."""

    headers: tuple[tuple[str, str | None], ...] = ()
    query: tuple[tuple[str, str | None], ...] = ()
    post_data: tuple[tuple[str, str | None], ...] = ()
    request_hooks: tuple[RequestHook, ...] = ()
    response_hooks: tuple[ResponseHook, ...] = ()

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
    ) -> Filters:
        """vcrpy-style options; ``redact_headers`` become ``REDACTED`` unless overridden."""
        headers: dict[str, str | None] = {name.lower(): REDACTED for name in redact_headers}
        headers.update((name.lower(), value) for name, value in _specs(filter_headers))
        return cls(
            headers=tuple(headers.items()),
            query=_specs(filter_query_parameters),
            post_data=_specs(filter_post_data_parameters),
            request_hooks=_hooks(before_record_request),
            response_hooks=_hooks(before_record_response),
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
        if self.post_data and request.body:
            request = replace(request, body=self._post_data(request))
        for hook in self.request_hooks:
            result = hook(request)
            if result is None:
                return None
            request = result
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
        for hook in self.response_hooks:
            result = hook(response)
            if result is None:
                return None
            response = result
        return response
