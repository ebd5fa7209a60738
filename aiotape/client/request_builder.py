"""The part of ClientSession that turns a call's URL, headers, auth, cookies and proxy settings
into what a hop sends: used by requests and ``ws_connect`` alike."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from multidict import CIMultiDict, CIMultiDictProxy, getversion
from yarl import URL

from . import exceptions
from .auth import BasicAuth, strip_auth_from_url
from .cookies import AbstractCookieJar, CookieJar, LooseCookies, cookie_header, unsafe_in_header
from .prepare import (
    BODYLESS_METHODS,
    DEFAULT_HEADERS,
    HTTP_SCHEMES,
    PLAIN_PATH,
    USER_AGENT,
    check_method,
    host_header,
    origin_url,
    parse_url,
)
from .proxies import ProxyRoute, explicit_route
from .request_info import RequestInfo
from .transport import active_transport

if TYPE_CHECKING:
    from http.cookies import BaseCookie

    from .seam_protocols import Transport
    from .tracing import TraceConfig

__all__ = ["PlainCall", "PlainOrigin", "RequestBuilder", "check_base_url", "request_cookies"]

_URL_CACHE_SIZE = 256
_PLAIN_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
"""Bodyless methods, as given, that ``check_method`` returns unchanged."""
_PLAIN_URL = re.compile(r"(?s)(.{8}[^/]*)(" + PLAIN_PATH.pattern + ")", PLAIN_PATH.flags)
"""A URL string ending in a plain path (``PLAIN_PATH``), split before it: at its first ``/``
after ``http://`` and a host of one character or more. (One match: ``str.find`` and its
argument parsing cost about as much.)"""
_NONE_SKIPPED: frozenset[str] = frozenset()
_UNKNOWN: Any = object()
"""What ``_plain_calls`` gives for a call not made yet."""


def request_cookies(jar: AbstractCookieJar, cookies: LooseCookies, url: URL) -> BaseCookie[str]:
    """A request's ``cookies=`` as aiohttp sends them: through a throwaway jar like ``jar``
    (values quoted as needed, Morsels honoured), filtered for ``url``.

    Unlike aiohttp, which sends them escaped, values with CR, LF or NUL raise ValueError.
    """
    items = list(cookies.items() if isinstance(cookies, Mapping) else cookies)
    for name, value in items:
        if unsafe_in_header(value):
            raise ValueError(f"Cookie {name!r} contains CR, LF or NUL")
    scratch = CookieJar(
        unsafe=jar.unsafe,
        quote_cookie=jar.quote_cookie,
        treat_as_secure_origin=jar.treat_as_secure_origin,
    )
    scratch.update_cookies(items)
    return scratch.filter_cookies(url)


def check_base_url(base_url: str | URL | None) -> URL | None:
    """``base_url`` as a URL; ValueError unless it is absolute and ends with a slash."""
    if base_url is None:
        return None
    url = URL(base_url)
    if not url.absolute:
        raise ValueError("base_url must be an absolute URL")
    if not url.path.endswith("/"):
        raise ValueError("base_url must have a trailing '/'")
    return url


PlainCall: TypeAlias = "tuple[RequestInfo, str | None]"
"""What a bodyless call without options sends: its RequestInfo, and its URL as a string when
the call gave it spelled as ``str(url)`` spells it (None: unknown)."""


class PlainOrigin:
    """What bodyless calls without options send to one origin (URLs given as strings, see
    ``origin_url``), the same for every path: made once per origin (again once
    ``session.headers`` change)."""

    __slots__ = ("exact", "headers", "url")

    def __init__(self, url: URL, headers: CIMultiDictProxy[str], exact: bool) -> None:
        self.url = url
        """``URL(origin)``: what the URLs of its paths are made from."""
        self.headers = headers
        """The final headers of its paths' requests."""
        self.exact = exact
        """Whether ``str(url)`` is the origin as given: then a path's URL string is the one
        given too."""


_PARSED_URLS: dict[str, URL] = {}
"""URL strings parsed by any session (a URL is immutable, and what base_url adds is added
after): one cache for every session, not a dict per session."""
PlainKey: TypeAlias = "tuple[str, str | URL]"
_BARE_CALLS: dict[PlainKey, PlainCall | None] = {}
_BARE_ORIGINS: dict[str, PlainOrigin] = {}
"""``_plain_request``'s caches for sessions that add nothing of their own (``_plain_caches``)."""


class RequestBuilder:
    """URL, header, credential and proxy resolution from a session's defaults (a base of
    ClientSession, which sets the attributes declared here)."""

    _closed: bool
    _base_url: URL | None
    _plain_calls: dict[PlainKey, PlainCall | None]
    _origins: dict[str, PlainOrigin]
    _plain_version = -1  # getversion(session.headers) the two above are for (-1: not made)
    _plain: bool  # whether calls without options may take the plain path (_plain_request)
    _trace_configs: list[TraceConfig]
    _default_headers: CIMultiDict[str]
    _header_block: tuple[int, str | None, CIMultiDict[str]] | None = None
    _skip_auto_headers: frozenset[str]
    _auth: BasicAuth | None
    _cookie_jar: AbstractCookieJar
    _proxy: str | URL | None
    _proxy_auth: BasicAuth | None
    _transport: Transport

    def _init_builder(
        self,
        base_url: str | URL | None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
        skip_auto_headers: Iterable[str] | None,
        auth: BasicAuth | None,
        cookie_jar: AbstractCookieJar | None,
        cookies: LooseCookies | None,
    ) -> None:
        """The session's defaults for what requests send: base URL, headers, auth, cookies."""
        self._base_url = None if base_url is None else check_base_url(base_url)
        self._default_headers = CIMultiDict(headers) if headers else CIMultiDict()
        self._skip_auto_headers = (
            frozenset(h.lower() for h in skip_auto_headers) if skip_auto_headers else _NONE_SKIPPED
        )
        self._auth = auth
        self._cookie_jar = cookie_jar if cookie_jar is not None else CookieJar()
        if cookies is not None:
            self._cookie_jar.update_cookies(cookies)

    def _store_cookies(self, headers: CIMultiDictProxy[str], url: URL) -> None:
        """Keep the cookies an answer from ``url`` (with ``headers``) sets, in the session's
        jar."""
        set_cookie = headers.getall("Set-Cookie", ())
        if set_cookie:
            self._cookie_jar.update_cookies_from_headers(set_cookie, url)

    def _target_url(self, str_or_url: str | URL, params: Any) -> URL:
        """The request URL (base_url and params applied) of an open session."""
        if self._closed:
            raise RuntimeError("Session is closed")
        if self._base_url is None and params is None and type(str_or_url) is str:
            cached = _PARSED_URLS.get(str_or_url)
            if cached is not None:
                return cached
        url = self._build_url(str_or_url)
        return url if params is None else url.extend_query(params)

    def _plain_request(self, method: str, str_or_url: str | URL) -> PlainCall | None:
        """What a call without options sends, when it is what the last such call with the same
        method and URL sent: a bodyless method, no cookies in the jar, and a session without
        tracing (nor middlewares, ``trust_env``, HTTP/1.0, a jar other than a CookieJar, or
        closed: ``_plain``). None: take the general path (which raises for a closed session).

        A bodyless ``method`` to a string that is an origin and a plain path (``PLAIN_PATH``,
        ``origin_url``) has its URL made from the origin's, its headers shared by the origin's
        paths; other calls are checked as the general path checks them (``_plain_call``).
        """
        if not self._plain or self._trace_configs:
            return None
        if self._cookie_jar._cookies:  # type: ignore[attr-defined]  # a CookieJar when _plain
            return None
        version = getversion(self._default_headers)  # type: ignore[arg-type]
        if version != self._plain_version:  # what was made for other session headers goes
            self._plain_version = version
            self._plain_calls, self._origins = self._plain_caches()
        calls = self._plain_calls
        key = (method, str_or_url)
        try:
            call: PlainCall | None = calls.get(key, _UNKNOWN)
        except TypeError:  # unhashable: the general path says what is wrong with it
            return None
        if call is not _UNKNOWN:
            return call
        call = None
        if type(str_or_url) is str and method in _PLAIN_METHODS and self._base_url is None:
            plain = _PLAIN_URL.fullmatch(str_or_url)
            if plain is not None:
                prefix, path = plain.groups()
                origin = self._origins.get(prefix) or self._plain_origin(prefix)
                if origin is not None:
                    url = origin.url.with_path(path, encoded=True)
                    # RequestInfo(...) without its Python-level __new__; no fragment here.
                    info = tuple.__new__(RequestInfo, (url, method, origin.headers, url))
                    call = info, str_or_url if origin.exact else None
        if call is None:
            call = self._plain_call(method, str_or_url)
        if len(calls) >= _URL_CACHE_SIZE:
            calls.clear()
        calls[key] = call
        return call

    def _plain_caches(self) -> tuple[dict[PlainKey, PlainCall | None], dict[str, PlainOrigin]]:
        """Fresh caches for ``_plain_request``, or the ones shared by every session that adds
        nothing of its own to what it sends (no base_url, headers, skipped headers or auth):
        what such sessions send depends on the method and URL alone."""
        if (
            self._base_url is None
            and not self._default_headers
            and not self._skip_auto_headers
            and self._auth is None
        ):
            return _BARE_CALLS, _BARE_ORIGINS
        return {}, {}

    def _plain_origin(self, prefix: str) -> PlainOrigin | None:
        """The PlainOrigin of ``prefix``, kept for the calls to come; None: not an origin
        (``origin_url``)."""
        base = origin_url(prefix)
        if base is None:
            return None
        _, headers, _ = self._prepare_headers(base, None, None, None, None)
        origins = self._origins
        if len(origins) >= _URL_CACHE_SIZE:
            origins.clear()
        origin = origins[prefix] = PlainOrigin(base, CIMultiDictProxy(headers), str(base) == prefix)
        return origin

    def _plain_call(self, method: str, str_or_url: str | URL) -> PlainCall | None:
        """``_plain_request`` of any other call: its URL and method checked as the general
        path checks them. None: the general path sends it (a method with a body, a URL with
        credentials), or raises for it (a URL no request can go to)."""
        if type(method) is not str or (type(str_or_url) is not str and type(str_or_url) is not URL):
            return None
        url = self._target_url(str_or_url, None)
        if (
            url.scheme not in HTTP_SCHEMES
            or not url.host  # check_scheme raises for these two
            or url.raw_user is not None
            or url.raw_password is not None
        ):
            return None
        checked = check_method(method)
        if checked not in BODYLESS_METHODS:
            return None
        _, headers, _ = self._prepare_headers(url, None, None, None, None)
        info = RequestInfo(
            url.with_fragment(None) if url.raw_fragment else url,
            checked,
            CIMultiDictProxy(headers),
            url,
        )
        return info, None

    def _explicit_route(
        self,
        proxy: str | URL | None,
        proxy_auth: BasicAuth | None,
        proxy_headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
    ) -> ProxyRoute | None:
        """The request's proxy settings, else the session's; None when neither names a proxy."""
        if proxy is None and self._proxy is None:
            return None
        return explicit_route(
            self._proxy if proxy is None else proxy,
            self._proxy_auth if proxy_auth is None else proxy_auth,
            proxy_headers,
        )

    async def _from_env(
        self,
        url: URL,
        explicit: ProxyRoute | None,
        auth: BasicAuth | None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
    ) -> tuple[ProxyRoute, BasicAuth | None]:
        """``trust_env``: the hop's proxy (unless explicit) and, when no other source gives
        credentials (auth, URL, session auth, an Authorization header), netrc's for the host."""
        from .proxy_env import env_route, netrc_auth_for  # imported by the first such hop

        route = explicit if explicit is not None else await env_route(url)
        given = CIMultiDict(headers or {})
        if (
            auth is not None
            or self._auth is not None
            or url.raw_user is not None
            or "Authorization" in self._default_headers
            or "Authorization" in given
        ):
            return route, auth
        return route, await netrc_auth_for(url)

    def _build_url(self, str_or_url: str | URL) -> URL:
        if isinstance(str_or_url, URL):
            url = str_or_url
        else:
            cached = _PARSED_URLS.get(str_or_url)
            if cached is None:
                try:
                    cached = parse_url(str_or_url)
                except (ValueError, IndexError) as exc:  # IndexError: a yarl bug
                    raise exceptions.InvalidUrlClientError(str_or_url) from exc
                if len(_PARSED_URLS) >= _URL_CACHE_SIZE:
                    _PARSED_URLS.clear()
                _PARSED_URLS[str_or_url] = cached
            url = cached
        if self._base_url is not None and not url.absolute:
            url = self._base_url.join(url)
        return url

    def _skipped(self, skip_auto_headers: Iterable[str] | None) -> frozenset[str]:
        """Lower-cased names of the auto headers not to add: the session's and the call's."""
        if skip_auto_headers is None:
            return self._skip_auto_headers
        return self._skip_auto_headers | {h.lower() for h in skip_auto_headers}

    def _auth_for(self, url: URL) -> BasicAuth | None:
        """The session's auth, which aiohttp sends only to the base_url origin when set."""
        base = self._base_url
        return self._auth if base is None or base.origin() == url.origin() else None

    def _current_transport(self) -> Transport:
        return active_transport(self._transport)

    def _merge_headers(
        self,
        url: URL,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
        skip_auto_headers: Iterable[str] | None,
    ) -> CIMultiDict[str]:
        """The session's headers, then the call's ``headers`` replacing those of their names,
        then the auto headers (Host, Accept, Accept-Encoding, User-Agent) not skipped."""
        merged = CIMultiDict(self._default_headers)
        if headers:
            given = CIMultiDict(headers)
            for name in given:
                merged.popall(name, None)
            merged.extend(given)
        skip = (
            self._skip_auto_headers
            if skip_auto_headers is None
            else self._skipped(skip_auto_headers)
        )
        if "Host" not in merged and "host" not in skip:
            merged["Host"] = host_header(url)
        for name, value in DEFAULT_HEADERS:
            if name not in merged and name.lower() not in skip:
                merged[name] = value
        if "User-Agent" not in merged and "user-agent" not in skip:
            merged["User-Agent"] = USER_AGENT
        return merged

    def _session_headers(self, url: URL) -> CIMultiDict[str]:
        """``_merge_headers`` for a call without headers of its own, from a copy kept for the
        last host until ``session.headers`` changes."""
        version = getversion(self._default_headers)  # type: ignore[arg-type]
        host = url.host_port_subcomponent
        cached = self._header_block
        merged: CIMultiDict[str]
        if cached is not None and cached[0] == version and cached[1] == host:
            merged = cached[2].copy()
            return merged
        merged = self._merge_headers(url, None, None)
        self._header_block = (version, host, merged.copy())
        return merged

    def _prepare_headers(
        self,
        url: URL,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
        skip_auto_headers: Iterable[str] | None,
        auth: BasicAuth | None,
        cookies: Any,
        redirected: bool = False,
    ) -> tuple[URL, CIMultiDict[str], BasicAuth | None]:
        """Merge default, auto, auth and cookie headers.

        Returns the URL without credentials and the auth used (a redirect keeps it, as
        aiohttp does, unless it crosses origins).
        """
        if headers or skip_auto_headers is not None:
            merged = self._merge_headers(url, headers, skip_auto_headers)
        else:
            merged = self._session_headers(url)
        url_auth = None
        if url.raw_user is not None or url.raw_password is not None:
            url, url_auth = strip_auth_from_url(url)
        if auth is not None and url_auth is not None and not redirected:
            raise ValueError("Cannot combine AUTH argument with credentials encoded in URL")
        if auth is None or url_auth is not None:
            auth = url_auth or (self._auth and self._auth_for(url))
        if auth is not None:
            if not isinstance(auth, BasicAuth):
                raise TypeError("BasicAuth() tuple is required instead")
            if "Authorization" in merged:
                raise ValueError(
                    "Cannot combine AUTHORIZATION header with AUTH argument "
                    "or credentials encoded in URL"
                )
            merged["Authorization"] = auth.encode()
        jar = self._cookie_jar
        if not cookies and type(jar) is CookieJar and not jar._cookies:
            return url, merged, auth  # an empty jar: nothing to filter or send
        jar_cookies = jar.filter_cookies(url)
        if cookies:
            jar_cookies.update(request_cookies(self._cookie_jar, cookies, url))
        if jar_cookies:
            existing = merged.popall("Cookie", [])
            value = cookie_header(jar_cookies)
            merged["Cookie"] = "; ".join([*existing, value]) if existing else value
        return url, merged, auth
