"""Request patterns: which requests a mock route answers, and how close a miss was."""

from __future__ import annotations

import difflib
import json as _json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import parse_qsl

from multidict import CIMultiDictProxy
from yarl import URL

if TYPE_CHECKING:
    from yarl import Query

__all__ = [
    "UNSET",
    "DataMatch",
    "ExactKey",
    "HeadersMatch",
    "ParamsLike",
    "Passthrough",
    "RequestPattern",
    "UrlLike",
    "exact_key",
    "query_key",
]

UrlLike = str | URL | re.Pattern[str]
ParamsLike: TypeAlias = "Query"
HeadersMatch = Mapping[str, str] | Iterable[tuple[str, str]]
DataMatch = bytes | str | Mapping[str, Any] | Iterable[tuple[str, Any]]

QueryKey = tuple[tuple[str, str], ...]
ExactKey = tuple[str, str, str, int | None, str, QueryKey]
"""(method, scheme, host, port, raw path, sorted query): how exact-URL routes are indexed."""

UNSET: Any = object()
"""Default of ``json=`` keywords, where ``None`` is a meaningful value (JSON null)."""


def query_key(url: URL) -> QueryKey:
    """The query of ``url`` as sorted pairs: parameter order does not matter."""
    return tuple(sorted(url.query.items())) if url.raw_query_string else ()


def exact_key(method: str, url: URL) -> ExactKey:
    """Index key of a request (or an exact-URL route): the URL as it goes on the wire."""
    return (method, url.scheme, url.host or "", url.port, url.raw_path or "/", query_key(url))


def _as_pairs(data: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
    items = data.items() if isinstance(data, Mapping) else data
    return sorted((str(name), str(value)) for name, value in items)


@dataclass(frozen=True, slots=True)
class RequestPattern:
    """What a request must look like to match a route.

    ``url`` is an absolute URL (compared as the client sends it, query order-insensitive) or
    a compiled regex matched (``re.match``) against the full URL string. ``query`` (from
    ``params=``) must equal the request's query. ``headers`` must all be present with those
    values; ``json`` must equal the decoded body; ``data`` must equal the raw body (bytes or
    str) or, for a mapping or pairs, the url-encoded form fields in any order.
    """

    method: str
    url: URL | re.Pattern[str]
    query: QueryKey | None = None
    headers: tuple[tuple[str, str], ...] = ()
    json: Any = UNSET
    data: bytes | tuple[tuple[str, str], ...] | None = None

    @classmethod
    def build(
        cls,
        method: str,
        url: UrlLike,
        *,
        params: ParamsLike | None = None,
        headers: HeadersMatch | None = None,
        json: Any = UNSET,
        data: DataMatch | None = None,
    ) -> RequestPattern:
        """Normalise user input: canonical URL, params folded into the query, sorted pairs."""
        target: URL | re.Pattern[str]
        query: QueryKey | None = None
        if isinstance(url, re.Pattern):
            target = url
            if params is not None:
                query = query_key(URL("http://h/").extend_query(params))
        else:
            target = URL(url)
            if not target.absolute:
                raise ValueError(f"mock routes need an absolute URL, got {str(url)!r}")
            if params is not None:
                target = target.extend_query(params)
        header_pairs = tuple((headers.items() if isinstance(headers, Mapping) else headers) or ())
        body: bytes | tuple[tuple[str, str], ...] | None
        if data is None or isinstance(data, bytes):
            body = data
        elif isinstance(data, str):
            body = data.encode()
        else:
            body = tuple(_as_pairs(data))
        return cls(method.upper(), target, query, header_pairs, json, body)

    @property
    def key(self) -> ExactKey | None:
        """The exact-URL index key, or None for a regex route."""
        if isinstance(self.url, URL):
            return exact_key(self.method, self.url)
        return None

    @property
    def conditional(self) -> bool:
        """True when headers, json or data narrow the match beyond method and URL."""
        return bool(self.headers) or self.json is not UNSET or self.data is not None

    def describe(self) -> str:
        """``METHOD url [conditions]`` for error messages."""
        url = f"re.compile({self.url.pattern!r})" if isinstance(self.url, re.Pattern) else self.url
        parts = [f"{self.method} {url}"]
        if self.query is not None:
            parts.append(f"params={dict(self.query)!r}")
        if self.headers:
            parts.append(f"headers={dict(self.headers)!r}")
        if self.json is not UNSET:
            parts.append(f"json={self.json!r}")
        if self.data is not None:
            parts.append(f"data={self.data!r}")
        return " ".join(parts)

    def matches_url(self, method: str, url: URL) -> bool:
        """Method and URL (and ``params=``) match; exact routes are found by key instead."""
        return method == self.method and self.matches_target(url)

    def matches_target(self, url: URL) -> bool:
        """The URL (and ``params=``) match, whatever the method."""
        if isinstance(self.url, re.Pattern):
            if self.url.match(str(url)) is None:
                return False
            return self.query is None or self.query == query_key(url)
        return exact_key(self.method, url) == self.key

    def matches_rest(self, headers: CIMultiDictProxy[str], body: bytes) -> bool:
        """Headers, json and data conditions (method and URL already matched)."""
        for name, value in self.headers:
            if value not in headers.getall(name, ()):
                return False
        if self.json is not UNSET:
            try:
                if _json.loads(body) != self.json:
                    return False
            except ValueError:
                return False
        if self.data is not None:
            if isinstance(self.data, bytes):
                return body == self.data
            try:
                fields = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
            except (UnicodeDecodeError, ValueError):
                return False
            return sorted(fields) == list(self.data)
        return True

    def differs_only_in_query(self, method: str, url: URL) -> bool:
        """True when the request would match if only its query string were different."""
        if method != self.method or self.matches_target(url):
            return False
        bare = url.with_query(None)
        if isinstance(self.url, re.Pattern):
            return any(self.url.match(str(u)) is not None for u in (url, bare))
        return exact_key(method, bare) == exact_key(method, self.url.with_query(None))

    def distance(self, method: str, url: URL) -> float:
        """How far a request is from this pattern (0 is identical), to list near misses first."""
        shown = self.url.pattern if isinstance(self.url, re.Pattern) else str(self.url)
        ratio = difflib.SequenceMatcher(None, shown, str(url)).ratio()
        return (0.0 if method == self.method else 1.0) + (1.0 - ratio)


class Passthrough:
    """Hosts (``"localhost"``, ``"127.0.0.1:8080"``) and URL prefixes (``"http://h/api/"``)
    whose requests a MockRouter sends to the network instead of answering them.
    """

    __slots__ = ("_hosts", "_prefixes")

    def __init__(self, entries: Iterable[str]) -> None:
        if isinstance(entries, str):
            raise TypeError("passthrough takes a list of hosts or URL prefixes, not one string")
        listed = tuple(entries)
        self._prefixes = tuple(entry for entry in listed if "://" in entry)
        self._hosts = frozenset(entry.lower() for entry in listed if "://" not in entry)

    def matches(self, url: URL) -> bool:
        """True when ``url`` is on a named host (or host:port) or starts with a named prefix."""
        if not self._hosts and not self._prefixes:
            return False
        host = (url.host or "").lower()
        if host in self._hosts or f"{host}:{url.port}" in self._hosts:
            return True
        text = str(url)
        return any(text.startswith(prefix) for prefix in self._prefixes)

    def __bool__(self) -> bool:
        return bool(self._hosts or self._prefixes)
