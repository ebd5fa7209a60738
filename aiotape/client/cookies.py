"""Cookie storage with RFC 6265 matching (aiohttp's CookieJar); the syntax is cookie_syntax's.

A jar keeps morsels by ``(domain, path)``, the path stored without its trailing slash. Cookies
set without a response URL are *shared*: stored under domain ``""``, sent to every host. Expiry
is checked against ``clock`` (epoch seconds, ``time.time`` by default) whenever the jar is read.
``http.cookies`` and the cookie syntax are imported by the first cookie: an empty jar needs neither.
"""

from __future__ import annotations

import functools
import heapq
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from yarl import URL

from .cookie_jar_abc import (
    NO_URL,
    AbstractCookieJar,
    ClearCookiePredicate,
    CookieKey,
    JarKey,
    LooseCookies,
)

if TYPE_CHECKING:
    from http.cookies import BaseCookie, Morsel, SimpleCookie

__all__ = [
    "AbstractCookieJar",
    "ClearCookiePredicate",
    "CookieJar",
    "DummyCookieJar",
    "LooseCookies",
    "cookie_header",
    "unsafe_in_header",
]

# Latest instant representable by datetime (and so by calendar.timegm on every platform).
_MAX_TIME = 253402300799.0
_MAX_COOKIES_PER_RESPONSE = 50


class _Syntax:
    """What jars use of ``http.cookies`` and ``cookie_syntax``, bound once with the first cookie."""

    __slots__ = (
        "base_cookie",
        "cookie_error",
        "cookie_header",
        "ctl_re",
        "default_path",
        "domain_matches",
        "encoder",
        "header_unsafe_re",
        "is_ip_address",
        "max_age_re",
        "morsel",
        "new_morsel",
        "parse_cookie_date",
        "parse_set_cookie",
        "path_matches",
        "secure_schemes",
        "simple_cookie",
    )

    def __init__(self) -> None:
        from http.cookies import BaseCookie, CookieError, Morsel, SimpleCookie

        from . import cookie_syntax as syntax

        self.base_cookie = BaseCookie
        self.cookie_error = CookieError
        self.morsel = Morsel
        self.simple_cookie = SimpleCookie
        self.encoder: SimpleCookie = SimpleCookie()
        self.ctl_re = syntax.CTL_RE
        self.header_unsafe_re = syntax.HEADER_UNSAFE_RE
        self.cookie_header = syntax.cookie_header
        self.default_path = syntax.default_path
        self.domain_matches = syntax.domain_matches
        self.is_ip_address = syntax.is_ip_address
        self.max_age_re = syntax.MAX_AGE_RE
        self.new_morsel = syntax.new_morsel
        self.parse_cookie_date = syntax.parse_cookie_date
        self.parse_set_cookie = syntax.parse_set_cookie
        self.path_matches = syntax.path_matches
        self.secure_schemes = syntax.SECURE_SCHEMES


@functools.cache
def _syntax() -> _Syntax:
    """The one ``_Syntax``, made (and its modules imported) on first use."""
    return _Syntax()


def cookie_header(cookies: BaseCookie[str]) -> str:
    """The ``Cookie`` request header value for ``cookies`` (``cookie_syntax.cookie_header``)."""
    return _syntax().cookie_header(cookies)


def unsafe_in_header(value: str | Morsel[str]) -> bool:
    """True when a cookie value (a Morsel's value) holds CR, LF or NUL (header injection)."""
    syntax = _syntax()
    text = value.value if isinstance(value, syntax.morsel) else str(value)
    return syntax.header_unsafe_re.search(text) is not None


def _origins(urls: str | URL | Iterable[str | URL] | None) -> frozenset[URL]:
    if urls is None:
        return frozenset()
    if isinstance(urls, (str, URL)):
        urls = (urls,)
    return frozenset(URL(url).origin() for url in urls)


class CookieJar(AbstractCookieJar):
    """Cookie storage with RFC 6265 domain, path, Secure and expiry rules.

    ``unsafe`` allows IP-address hosts; ``quote_cookie=False`` sends values verbatim;
    ``treat_as_secure_origin`` lists origins (e.g. ``http://localhost:8080``) that receive
    Secure cookies over plain http; ``clock`` returns the current epoch time.
    """

    def __init__(
        self,
        *,
        unsafe: bool = False,
        quote_cookie: bool = True,
        treat_as_secure_origin: str | URL | Iterable[str | URL] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._unsafe = unsafe
        self._quote_cookie = quote_cookie
        self._secure_origins = _origins(treat_as_secure_origin)
        self._clock = clock
        self._cookies: dict[JarKey, SimpleCookie] = {}
        self._host_only: set[CookieKey] = set()
        self._expirations: dict[CookieKey, float] = {}
        self._expiry_heap: list[tuple[float, CookieKey]] = []
        self._sendable: dict[CookieKey, Morsel[str]] = {}  # _outgoing() of stored cookies

    @property
    def unsafe(self) -> bool:
        """Whether cookies are accepted from and sent to IP-address hosts."""
        return self._unsafe

    @property
    def quote_cookie(self) -> bool:
        """Whether values are sent quoted when they need it."""
        return self._quote_cookie

    @property
    def treat_as_secure_origin(self) -> frozenset[URL]:
        """Origins that get Secure cookies even over plain http."""
        return self._secure_origins

    @property
    def cookies(self) -> MappingProxyType[JarKey, SimpleCookie]:
        """Stored cookies by ``(domain, path)`` (read-only view)."""
        return MappingProxyType(self._cookies)

    @property
    def host_only_cookies(self) -> frozenset[CookieKey]:
        """``(domain, path, name)`` of cookies sent to their exact host only."""
        return frozenset(self._host_only)

    def __iter__(self) -> Iterator[Morsel[str]]:
        self._expire()
        for bucket in list(self._cookies.values()):
            yield from bucket.values()

    def __len__(self) -> int:
        self._expire()
        return sum(len(bucket) for bucket in self._cookies.values())

    # -- storing ---------------------------------------------------------------------------

    def update_cookies(self, cookies: LooseCookies, response_url: URL = NO_URL) -> None:
        """Store cookies as if set by a response from ``response_url``.

        Values may be strings (quoted as needed) or Morsels (copied, attributes honoured).
        Without a response URL, cookies without a Domain are shared by every host.
        """
        syntax = _syntax()
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        morsels: list[tuple[str, Morsel[str]]] = []
        for name, value in items:
            if isinstance(value, syntax.morsel):
                morsel: Morsel[str] = value.copy()
            else:
                encoder: SimpleCookie = syntax.simple_cookie()
                encoder[name] = value
                morsel = encoder[name]
            morsels.append((name, morsel))
        self._store(morsels, response_url)

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        """Store the cookies of a response's Set-Cookie header values (bad ones are ignored)."""
        parse_set_cookie = _syntax().parse_set_cookie
        parsed = (parse_set_cookie(field) for field in headers[:_MAX_COOKIES_PER_RESPONSE])
        self._store([item for item in parsed if item is not None], response_url)

    def _store(self, cookies: Iterable[tuple[str, Morsel[str]]], response_url: URL) -> None:
        syntax = _syntax()
        host = response_url.raw_host
        if host is not None and not self._unsafe and syntax.is_ip_address(host):
            return
        for name, morsel in cookies:
            if syntax.ctl_re.search(f"{name}{morsel.value}{morsel.coded_value}"):
                continue
            domain = morsel["domain"].lower()
            if domain.endswith("."):
                domain = ""
            domain = domain.lstrip(".")
            if domain and host is not None and not syntax.domain_matches(domain, host):
                continue
            host_only = not domain and host is not None
            if host_only:
                domain = host or ""
            morsel["domain"] = domain
            path = morsel["path"]
            if not path.startswith("/"):
                path = morsel["path"] = syntax.default_path(response_url)
            key = (domain, path.rstrip("/"), name)
            self._set(key, morsel, host_only, self._expiry_of(morsel))
        self._expire()

    def _expiry_of(self, morsel: Morsel[str]) -> float | None:
        """Absolute expiry from Max-Age (which wins) or Expires; invalid ones are dropped."""
        syntax = _syntax()
        max_age = str(morsel["max-age"])
        if max_age:
            if syntax.max_age_re.fullmatch(max_age):
                seconds = int(max_age)
                return 0.0 if seconds <= 0 else min(self._clock() + seconds, _MAX_TIME)
            morsel["max-age"] = ""
        expires = str(morsel["expires"])
        if expires:
            when = syntax.parse_cookie_date(expires)
            if when is not None:
                return when
            morsel["expires"] = ""
        return None

    def _set(
        self, key: CookieKey, morsel: Morsel[str], host_only: bool, expiry: float | None
    ) -> None:
        domain, path, name = key
        self._cookies.setdefault((domain, path), _syntax().simple_cookie())[name] = morsel
        self._sendable.pop(key, None)
        if host_only:
            self._host_only.add(key)
        else:
            self._host_only.discard(key)
        if expiry is None:
            self._expirations.pop(key, None)
        elif self._expirations.get(key) != expiry:
            self._expirations[key] = expiry
            heapq.heappush(self._expiry_heap, (expiry, key))

    # -- expiry and removal ----------------------------------------------------------------

    def _expire(self) -> None:
        heap = self._expiry_heap
        if not heap:
            return
        now = self._clock()
        expired = []
        while heap and heap[0][0] <= now:
            when, key = heapq.heappop(heap)
            if self._expirations.get(key) == when:
                expired.append(key)
        self._delete(expired)
        if len(heap) > 2 * len(self._expirations) + 64:
            self._expiry_heap = [(when, key) for key, when in self._expirations.items()]
            heapq.heapify(self._expiry_heap)

    def _delete(self, keys: Iterable[CookieKey]) -> None:
        for key in keys:
            domain, path, name = key
            bucket = self._cookies.get((domain, path))
            if bucket is not None:
                bucket.pop(name, None)
                if not bucket:
                    del self._cookies[(domain, path)]
            self._host_only.discard(key)
            self._expirations.pop(key, None)
            self._sendable.pop(key, None)

    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Remove every cookie, or those ``predicate(morsel)`` selects (and expired ones)."""
        if predicate is None:
            self._cookies.clear()
            self._sendable.clear()
            self._host_only.clear()
            self._expirations.clear()
            self._expiry_heap.clear()
            return
        self._expire()
        self._delete(
            [
                (domain, path, name)
                for (domain, path), bucket in self._cookies.items()
                for name, morsel in bucket.items()
                if predicate(morsel)
            ]
        )

    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of ``domain`` and its subdomains."""
        domain = domain.lower()
        domain_matches = _syntax().domain_matches
        self.clear(lambda morsel: domain_matches(domain, morsel["domain"]))

    # -- sending ---------------------------------------------------------------------------

    def filter_cookies(self, request_url: URL | str = NO_URL) -> BaseCookie[str]:
        """The cookies to send to ``request_url``, the most specific one per name.

        Shared cookies go everywhere; others need a domain match (exact for host-only ones)
        unless the host is an IP and the jar is not ``unsafe``, a path match, and a secure
        scheme or origin if Secure.
        """
        syntax = _syntax()
        filtered: BaseCookie[str] = syntax.base_cookie()
        self._expire()
        if not self._cookies:
            return filtered
        if not isinstance(request_url, URL):
            request_url = URL(request_url)
        host = request_url.raw_host or ""
        secure = request_url.scheme in syntax.secure_schemes or (
            bool(self._secure_origins)
            and request_url.absolute
            and request_url.origin() in self._secure_origins
        )
        if not host:
            domains: list[str] = [""]
        elif syntax.is_ip_address(host):
            domains = ["", host] if self._unsafe else [""]
        else:
            labels = host.split(".")
            domains = ["", *(".".join(labels[i:]) for i in range(len(labels) - 1, -1, -1))]
        request_path = request_url.path or "/"
        segments = request_path.split("/")
        paths = ["/".join(segments[:i]) for i in range(1, len(segments) + 1)]
        selected: dict[str, tuple[CookieKey, Morsel[str]]] = {}
        for domain in domains:
            for path in paths:
                bucket = self._cookies.get((domain, path))
                if bucket is None:
                    continue
                for name, morsel in bucket.items():
                    key = (domain, path, name)
                    if (
                        (domain != host and key in self._host_only)
                        or not syntax.path_matches(morsel["path"], request_path)
                        or (morsel["secure"] and not secure)
                    ):
                        continue
                    selected.pop(name, None)
                    selected[name] = (key, morsel)
        sendable = self._sendable
        for name, (key, morsel) in selected.items():
            outgoing = sendable.get(key)
            if outgoing is None:
                outgoing = sendable[key] = self._outgoing(morsel)
            dict.__setitem__(filtered, name, outgoing)
        return filtered

    def _outgoing(self, morsel: Morsel[str]) -> Morsel[str]:
        """A bare name=value Morsel, its value encoded per ``quote_cookie``."""
        syntax = _syntax()
        new_morsel = syntax.new_morsel
        if not self._quote_cookie:
            return new_morsel(morsel.key, morsel.value, morsel.value)
        if morsel.coded_value.startswith('"'):
            return new_morsel(morsel.key, morsel.value, morsel.coded_value)
        value, coded = syntax.encoder.value_encode(morsel.value)
        return new_morsel(morsel.key, value, coded)

    # -- persistence -----------------------------------------------------------------------

    def save(self, file_path: str | os.PathLike[str]) -> None:
        """Write the cookies to ``file_path`` as JSON (mode 0600: it may hold credentials)."""
        self._expire()
        data: dict[str, dict[str, dict[str, Any]]] = {}
        for (domain, path), bucket in self._cookies.items():
            records = data.setdefault(f"{domain}|{path}", {})
            for name, morsel in bucket.items():
                record: dict[str, Any] = {
                    "key": morsel.key,
                    "value": morsel.value,
                    "coded_value": morsel.coded_value,
                }
                record.update(
                    (attr, val)
                    for attr, val in morsel.items()
                    if val and attr not in ("max-age", "expires")
                )
                if (domain, path, name) in self._host_only:
                    record["host_only"] = True
                if (expiry := self._expirations.get((domain, path, name))) is not None:
                    record["expires_timestamp"] = expiry
                records[name] = record
        opener = lambda p, flags: os.open(p, flags, 0o600)  # noqa: E731
        with open(file_path, "w", encoding="utf-8", opener=opener) as file:
            json.dump(data, file, indent=2)

    def load(self, file_path: str | os.PathLike[str]) -> None:
        """Replace the jar's cookies with those saved in ``file_path`` by :meth:`save`.

        Raises ValueError on a malformed file and then leaves the jar unchanged.
        """
        try:
            entries = _read_entries(json.loads(Path(file_path).read_text(encoding="utf-8")))
        except (AttributeError, TypeError, KeyError, _syntax().cookie_error, ValueError) as exc:
            raise ValueError(f"Malformed cookie file {os.fspath(file_path)!r}: {exc}") from exc
        self.clear()
        for key, morsel, host_only, expiry in entries:
            self._set(key, morsel, host_only, expiry)
        self._expire()


def _read_entries(data: Any) -> list[tuple[CookieKey, Morsel[str], bool, float | None]]:
    """The cookies of a file written by ``CookieJar.save``; raises on anything malformed."""
    syntax = _syntax()
    entries = []
    for compound_key, records in data.items():
        domain, sep, path = compound_key.partition("|")
        if not sep:
            raise ValueError(f"bad key {compound_key!r}")
        for name, record in records.items():
            morsel = syntax.new_morsel(
                str(record["key"]), str(record["value"]), str(record["coded_value"])
            )
            if syntax.ctl_re.search(f"{name}{morsel.value}{morsel.coded_value}"):
                raise ValueError(f"control character in cookie {name!r}")
            for attr in syntax.morsel._reserved:  # type: ignore[attr-defined]
                if attr in record:
                    morsel[attr] = record[attr]
            expiry = record.get("expires_timestamp")
            if expiry is not None and not math.isfinite(expiry := float(expiry)):
                raise ValueError(f"bad expiry of cookie {name!r}")
            entries.append(((domain, path, name), morsel, bool(record.get("host_only")), expiry))
    return entries


class DummyCookieJar(AbstractCookieJar):
    """A jar that stores nothing: for sessions that must not keep cookies."""

    @property
    def unsafe(self) -> bool:
        """Always False."""
        return False

    @property
    def quote_cookie(self) -> bool:
        """Always True."""
        return True

    @property
    def cookies(self) -> MappingProxyType[JarKey, SimpleCookie]:
        """Always empty."""
        return MappingProxyType({})

    @property
    def host_only_cookies(self) -> frozenset[CookieKey]:
        """Always empty."""
        return frozenset()

    def __iter__(self) -> Iterator[Morsel[str]]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Nothing to clear."""

    def clear_domain(self, domain: str) -> None:
        """Nothing to clear."""

    def update_cookies(self, cookies: LooseCookies, response_url: URL = NO_URL) -> None:
        """Ignore the cookies."""

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        """Ignore the cookies."""

    def filter_cookies(self, request_url: URL = NO_URL) -> BaseCookie[str]:
        """Always empty."""
        return _syntax().simple_cookie()
