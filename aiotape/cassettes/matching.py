"""Which recorded request answers a live one: vcrpy's matcher names, as hashable keys.

Every built-in matcher turns a request into a hashable value, so a cassette indexes its
interactions by the tuple of those values and finds candidates in O(1). The URI's parts come
from a plain split of the string when it needs no decoding (the usual case: no yarl parse per
recorded request), else from yarl; both give the same parts. Custom matchers
(vcrpy style: ``f(live, recorded)`` on vcrpy-shaped requests, returning a false value or
raising AssertionError on mismatch; given as callables or as names registered with
``register_matcher``) then filter the few candidates that share the key. Values of
query-string credentials (``DEFAULT_REDACTED_QUERY``) never take part: they are redacted
when recorded.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from yarl import URL

from ..client.records import Frozen
from .filters import DEFAULT_REDACTED_QUERY, REDACTED
from .model import Interaction, RecordedRequest

if TYPE_CHECKING:  # the shapes are imported by the first custom matcher run
    from .vcr_shapes import VcrRequest

__all__ = [
    "DEFAULT_MATCH_ON",
    "MATCHERS",
    "Closest",
    "CustomMatcher",
    "MatchOn",
    "MatchRule",
    "UriParts",
    "default_key",
    "uri_parts",
]


class UriParts(Frozen):
    """What the matchers read from a request's URI (decoded, as yarl gives them).

    A plain record: a NamedTuple's class costs six times as much to make at import, which a
    replay under the default rule (it reads no UriParts) would pay for nothing.
    """

    __slots__ = ("host", "path", "port", "query", "scheme")
    __match_args__ = ("scheme", "host", "port", "path", "query")
    scheme: str
    host: str | None
    port: int | None
    path: str
    query: tuple[tuple[str, str], ...]

    def __init__(
        self,
        scheme: str,
        host: str | None,
        port: int | None,
        path: str,
        query: tuple[tuple[str, str], ...],
    ) -> None:
        _set = object.__setattr__
        _set(self, "scheme", scheme)
        _set(self, "host", host)
        _set(self, "port", port)
        _set(self, "path", path)
        _set(self, "query", query)


KeyFunction = Callable[[RecordedRequest, UriParts], Hashable]
CustomMatcher = Callable[["VcrRequest", "VcrRequest"], object]
MatchOn = Sequence[str | CustomMatcher]

DEFAULT_MATCH_ON: tuple[str, ...] = ("method", "scheme", "host", "port", "path", "query")
"""vcrpy's default: method and the full URL, query order-insensitive."""


class Closest:
    """The recorded interaction nearest to an unmatched request, and how it differs."""

    __slots__ = ("differences", "interaction", "position")

    def __init__(self, position: int, interaction: Interaction, differences: tuple[str, ...]):
        self.position = position
        self.interaction = interaction
        self.differences = differences


_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_PLAIN_URI = (
    r"(https?|wss?)://([a-z0-9.-]+)(?::([1-9][0-9]{0,4}))?"
    r"(/[A-Za-z0-9._~!$&'()*,;=:/-]*)?(?:\?([A-Za-z0-9._~!$&'()*,;=:/?-]*))?"
)
"""A URI yarl would take apart as it stands: nothing to decode (no ``%``, ``+``, non-ASCII),
no user info, fragment or IPv6 literal, a lower-case host and a scheme with a default port."""


@functools.cache
def _plain_uri() -> re.Pattern[str]:
    """``_PLAIN_URI`` compiled, on first use (a replay of requests sent as recorded, from the
    compiled cache, splits no URI)."""
    return re.compile(_PLAIN_URI)


_Parts = tuple[str, str | None, int | None, str, tuple[tuple[str, str], ...]]
"""A URI's parts as :class:`UriParts` holds them, in a plain tuple."""


def _split(uri: str) -> _Parts | None:
    """``uri``'s parts by splitting the string, or None when only yarl may take it apart."""
    plain = _plain_uri().fullmatch(uri)
    if plain is None:
        return None
    scheme, host, port_text, path, query = plain.groups()
    port = _DEFAULT_PORTS[scheme] if port_text is None else int(port_text)
    if port > 65535:
        return None
    pairs = (
        tuple(
            (name, value)
            for name, _, value in (piece.partition("=") for piece in query.split("&") if piece)
        )
        if query
        else ()
    )
    return (scheme, host, port, path or "/", pairs)


@functools.lru_cache(maxsize=4096)
def _plain_parts(uri: str) -> UriParts | None:
    """``uri``'s parts by splitting the string, or None when only yarl may take it apart.

    Remembered: a URI is often taken apart again (for each matcher's message, or a request
    sent many times).
    """
    parts = _split(uri)
    return None if parts is None else UriParts(*parts)


def uri_parts(uri: str, url: URL | None = None) -> UriParts:
    """The parts of ``uri`` (``url``: the same URI already parsed, if at hand)."""
    plain = _plain_parts(uri)
    if plain is not None:
        return plain
    return UriParts(*_yarl_parts(uri, url))


def _yarl_parts(uri: str, url: URL | None) -> _Parts:
    if url is None:
        url = URL(uri, encoded=True)
    return (url.scheme, url.host, url.port, url.path, tuple(url.query.items()))


def _query_key(query: tuple[tuple[str, str], ...]) -> Hashable:
    return tuple(
        sorted(
            (name, REDACTED if name.lower() in DEFAULT_REDACTED_QUERY else value)
            for name, value in query
        )
    )


def _query(_: RecordedRequest, uri: UriParts) -> Hashable:
    return _query_key(uri.query) if uri.query else ()


def _content_type(request: RecordedRequest) -> str:
    return (request.header("Content-Type") or "").split(";")[0].strip().lower()


def _json_body(request: RecordedRequest, _: UriParts) -> Hashable:
    try:
        return json.dumps(json.loads(request.body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return request.body


def _body(request: RecordedRequest, uri: UriParts) -> Hashable:
    content_type = _content_type(request)
    if content_type == "application/x-www-form-urlencoded":
        return tuple(sorted(parse_qsl(request.body.decode("latin-1"), keep_blank_values=True)))
    if content_type == "application/json" or content_type.endswith("+json"):
        return _json_body(request, uri)
    return request.body


def _uri(request: RecordedRequest, uri: UriParts) -> Hashable:
    return (uri.scheme, uri.host, uri.port, uri.path, _query(request, uri))


def default_key(method: str, uri: str, url: URL | None = None) -> tuple[Hashable, ...]:
    """The key of a request with this method and ``uri`` under ``DEFAULT_MATCH_ON``, in one
    call (what the per-name functions give); ``url``: ``uri`` parsed, if at hand.

    A plain URI is split here, not remembered: each recorded URI is keyed once (the compiled
    cache keeps the keys), and a request sent as recorded finds its key by its exact method
    and URI (see Playback).
    """
    scheme, host, port, path, query = _split(uri) or _yarl_parts(uri, url)
    return (method.upper(), scheme, host, port, path, _query_key(query) if query else ())


MATCHERS: dict[str, KeyFunction] = {
    "method": lambda r, _: r.method.upper(),
    "scheme": lambda _, u: u.scheme,
    "host": lambda _, u: u.host,
    "port": lambda _, u: u.port,
    "path": lambda _, u: u.path,
    "query": _query,
    "uri": _uri,
    "url": _uri,
    "headers": lambda r, _: tuple(sorted((k.lower(), v) for k, v in r.headers)),
    "body": _body,
    "raw_body": lambda r, _: r.body,
    "json_body": _json_body,
}
"""Built-in matchers by name (vcrpy's, plus ``json_body``)."""

_BODY_MATCHERS = frozenset({"body", "raw_body", "json_body"})
_PLAIN_MATCHERS = frozenset(MATCHERS) - _BODY_MATCHERS - {"headers"}
"""The built-in matchers that read only the method and the URI."""


def _accepts(matcher: CustomMatcher, live: RecordedRequest, recorded: RecordedRequest) -> bool:
    """vcrpy's rule: None or a true value matches; a false value or AssertionError does not."""
    from .vcr_shapes import request_to_vcr

    try:
        result = matcher(request_to_vcr(live), request_to_vcr(recorded))
    except AssertionError:
        return False
    return result is None or bool(result)


class MatchRule:
    """A compiled ``match_on``: built-in key functions plus custom matchers.

    ``functions`` are the key functions of ``names``, in order; ``plain`` tells whether the
    key depends on the method and URI alone (no headers or body matcher), ``default`` whether
    ``names`` are ``DEFAULT_MATCH_ON``, whose key one function gives.
    """

    __slots__ = ("custom", "default", "functions", "names", "plain")

    def __init__(self, names: tuple[str, ...], custom: tuple[CustomMatcher, ...] = ()) -> None:
        self.names = names
        self.custom = custom
        self.functions: tuple[KeyFunction, ...] = tuple(MATCHERS[name] for name in names)
        self.plain = _PLAIN_MATCHERS.issuperset(names)
        self.default = names == DEFAULT_MATCH_ON

    @classmethod
    def compile(
        cls,
        match_on: MatchOn = DEFAULT_MATCH_ON,
        registered: Mapping[str, CustomMatcher] | None = None,
    ) -> MatchRule:
        """Validate ``match_on``: names of MATCHERS or of ``registered`` matchers, or callables."""
        registered = registered or {}
        names: list[str] = []
        custom: list[CustomMatcher] = []
        for item in match_on:
            if callable(item):
                custom.append(item)
            elif item in registered:
                custom.append(registered[item])
            elif item in MATCHERS:
                names.append(item)
            else:
                known = ", ".join([*MATCHERS, *registered])
                raise ValueError(f"unknown matcher {item!r} in match_on (known: {known})")
        return cls(tuple(names), tuple(custom))

    @property
    def needs_body(self) -> bool:
        """Whether matching reads the request body (custom matchers might)."""
        return bool(self.custom) or not _BODY_MATCHERS.isdisjoint(self.names)

    def key(self, request: RecordedRequest, url: URL | None = None) -> tuple[Hashable, ...]:
        """The index key of ``request`` (``url``: its uri already parsed, if at hand)."""
        if self.default:
            return default_key(request.method, request.uri, url)
        uri = uri_parts(request.uri, url)
        return tuple([function(request, uri) for function in self.functions])

    def plain_key(self, method: str, uri: str, url: URL | None = None) -> tuple[Hashable, ...]:
        """For a ``plain`` rule, the index key of any request with this method and ``uri``
        (``url``: ``uri`` parsed, if at hand), without a RecordedRequest built for it.
        """
        if self.default:
            return default_key(method, uri, url)
        return self.key(RecordedRequest(method, uri), url)

    def accepts(self, live: RecordedRequest, recorded: RecordedRequest) -> bool:
        """Whether the custom matchers accept a candidate that shares the key."""
        return all(_accepts(m, live, recorded) for m in self.custom)

    def differences(self, live: RecordedRequest, recorded: RecordedRequest) -> list[str]:
        """Names of the matchers ``recorded`` fails for ``live`` (for error messages)."""
        live_uri, recorded_uri = uri_parts(live.uri), uri_parts(recorded.uri)
        failed = [
            name
            for name in self.names
            if MATCHERS[name](live, live_uri) != MATCHERS[name](recorded, recorded_uri)
        ]
        failed.extend(
            getattr(m, "__name__", repr(m)) for m in self.custom if not _accepts(m, live, recorded)
        )
        return failed
