"""Turning a session call's arguments into the parts of a wire Request.

Pure helpers used by ClientSession: URL and method checks, redirect targets, header and cookie
merging pieces, timeout resolution and body encoding (with Content-Type/Length headers).
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict
from yarl import URL

from .._version import VERSION
from . import exceptions
from .decoders import ACCEPT_ENCODING
from .timeouts import DEFAULT_TIMEOUT, ClientTimeout

if TYPE_CHECKING:
    from .options import RaiseForStatus
    from .response import ClientResponse
    from .ws_timeout import ClientWSTimeout

USER_AGENT = f"Python/{sys.version_info[0]}.{sys.version_info[1]} aiotape/{VERSION}"
DEFAULT_HEADERS = (("Accept", "*/*"), ("Accept-Encoding", ACCEPT_ENCODING))
HTTP_SCHEMES = frozenset({"http", "https"})
WS_SCHEME_FOR = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
"""The websocket scheme ``ws_connect`` uses for each URL scheme it accepts."""
BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
"""Methods whose empty body sends no ``Content-Length: 0``."""
_C0_OR_SPACE = "".join(map(chr, range(0x21)))
_NO_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")
_NON_TOKEN = r"[^-!#$%&'*+.^_`|~0-9a-zA-Z]"  # compiled (and cached by re) on the first odd method
_CHECKED_METHODS = {
    method: method for method in ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
}
"""Methods ``check_method`` accepts unchanged, looked up before any check."""


def check_method(method: str) -> str:
    """The upper-cased method; ValueError unless it is an HTTP token."""
    known = _CHECKED_METHODS.get(method) if type(method) is str else None  # non-str: .upper() fails
    if known is not None:
        return known
    method = method.upper()
    if not method or re.search(_NON_TOKEN, method):
        raise ValueError(f"Method cannot contain non-token characters {method!r}")
    return method


PLAIN_PATH = re.compile(r"(?:/(?!\.)[-\w.~!$&'()*+,;=:@]*)+", re.ASCII)
"""A path that ``URL()`` keeps as it is: segments of characters it never quotes, none of
them starting with a dot (no ``.`` or ``..`` to resolve), and no query or fragment."""


def origin_cut(url: str) -> int:
    """Where a plain path (``PLAIN_PATH``, to the end) starts in ``url``; -1 if none does.
    ``url[:cut]`` is then an origin for :func:`origin_url` to vet."""
    cut = url.find("/", 8)  # after "http://" and a host of at least one character
    return cut if cut > 0 and PLAIN_PATH.fullmatch(url, cut) else -1


@functools.lru_cache(maxsize=64)
def origin_url(origin: str) -> URL | None:
    """``URL(origin)`` if ``origin`` is ``http://`` or ``https://`` and an authority with a
    host, no credentials and no ``/``, ``?`` or ``#``; else None.

    For such an origin and any path ``PLAIN_PATH`` takes, ``URL(origin + path)`` is
    ``URL(origin).with_path(path, encoded=True)``: yarl splits the authority off at the
    first ``/`` (the string holds no ``?`` or ``#``), so it parses it as for the origin
    alone, and it leaves such a path unchanged.
    """
    scheme, sep, authority = origin.partition("://")
    if not sep or scheme not in HTTP_SCHEMES or not authority or "@" in authority:
        return None
    if "/" in authority or "?" in authority or "#" in authority:
        return None
    try:
        url = URL(origin)
    except ValueError:
        return None
    return url if url.host and url.raw_path == "/" else None


def parse_url(url_str: str) -> URL:
    """``URL(url_str)``, made from its origin's URL when it is an origin and a plain path."""
    cut = origin_cut(url_str) if type(url_str) is str else -1
    base = origin_url(url_str[:cut]) if cut > 0 else None
    return URL(url_str) if base is None else base.with_path(url_str[cut:], encoded=True)


def host_header(url: URL) -> str:
    host = url.host_port_subcomponent
    if host is None:
        raise exceptions.InvalidUrlClientError(url, "URL has no host")
    return host


def check_scheme(url: URL, redirected: bool) -> None:
    if not url.absolute:
        raise (
            exceptions.InvalidUrlRedirectClientError
            if redirected
            else exceptions.InvalidUrlClientError
        )(url)
    if url.scheme not in HTTP_SCHEMES:
        if redirected:
            raise exceptions.NonHttpUrlRedirectClientError(url)
        raise exceptions.NonHttpUrlClientError(url)
    if not url.host:
        raise (
            exceptions.InvalidUrlRedirectClientError
            if redirected
            else exceptions.InvalidUrlClientError
        )(url)


def _has_no_authority(location: str, scheme: str) -> bool:
    """True unless ``scheme:`` is followed by two slashes (browsers read ``\\`` as ``/``)."""
    cleaned = location.strip(_C0_OR_SPACE).translate(_NO_TAB_OR_NEWLINE)
    rest = cleaned[len(scheme) + 1 : len(scheme) + 3]
    return len(rest) < 2 or not set(rest) <= {"/", "\\"}


def redirect_target(url: URL, location: str, requote: bool) -> URL:
    """Where a redirect from ``url`` goes, resolved as aiohttp (and browsers) do.

    ``http:/path`` and ``http:path`` are references relative to ``url``; a target that is
    not a URL, or has no usable origin, raises ``InvalidUrlRedirectClientError``.
    """
    try:
        target = URL(location, encoded=not requote)
    except ValueError as exc:
        raise exceptions.InvalidUrlRedirectClientError(
            location, "Server attempted redirecting to a location that does not look like a URL"
        ) from exc
    scheme = target.scheme
    if scheme and scheme not in HTTP_SCHEMES:
        raise exceptions.NonHttpUrlRedirectClientError(location)
    if not scheme or (scheme == url.scheme and _has_no_authority(location, scheme)):
        target = url.join(target)
    try:
        target.origin()
    except ValueError as exc:
        raise exceptions.InvalidUrlRedirectClientError(
            target, "Invalid redirect URL origin"
        ) from exc
    return target


REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
"""The statuses whose Location a request (and a websocket handshake) follows."""
CREDENTIAL_HEADERS = ("Authorization", "Cookie", "Proxy-Authorization")
"""What a request no longer sends once a redirect takes it to another origin."""


def redirect_location(headers: Mapping[str, str]) -> str | None:
    """Where a redirect answer points: its Location, else the old URI header (None or empty:
    nowhere, and the answer is final)."""
    return headers.get("Location") or headers.get("URI")


def becomes_get(status: int, method: str) -> bool:
    """Whether following a ``status`` redirect turns a ``method`` request into a bodyless
    GET (aiohttp's rules: a 303 for every method but HEAD, a 301 or 302 for POST)."""
    return (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST")


async def check_status(check: RaiseForStatus, resp: ClientResponse) -> None:
    """``raise_for_status``: True raises for an error status, a callable decides."""
    if check is True:
        resp.raise_for_status()
    elif callable(check):
        await check(resp)


def without(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None, names: Iterable[str]
) -> CIMultiDict[str] | None:
    if not headers:
        return None
    stripped = CIMultiDict(headers)
    for name in names:
        stripped.popall(name, None)
    return stripped


def resolve_ws_timeout(
    timeout: ClientWSTimeout | float | None, receive_timeout: float | None
) -> ClientWSTimeout:
    from .ws_timeout import DEFAULT_WS_TIMEOUT, ClientWSTimeout  # imported by the first websocket

    if isinstance(timeout, ClientWSTimeout):
        base = timeout
    elif timeout is None:
        base = DEFAULT_WS_TIMEOUT
    else:
        base = ClientWSTimeout(ws_receive=DEFAULT_WS_TIMEOUT.ws_receive, ws_close=timeout)
    if receive_timeout is not None:
        base = ClientWSTimeout(ws_receive=receive_timeout, ws_close=base.ws_close)
    return base


class Unset:
    """The type of :data:`UNSET` (a plain class: an Enum costs ~0.4M instructions to build)."""

    __slots__ = ()


UNSET = Unset()
"""Default of per-request ``timeout=``: the session's timeout (``None`` means no timeout)."""


def resolve_timeout(
    timeout: ClientTimeout | float | Unset | None, default: ClientTimeout
) -> ClientTimeout:
    """A request's timeout as aiohttp reads it: a number or ``None`` is the total alone."""
    if timeout is UNSET:
        return default
    if isinstance(timeout, ClientTimeout):
        return timeout
    if timeout is None or isinstance(timeout, (int, float)):
        return ClientTimeout(total=timeout)
    raise TypeError(f"timeout must be a ClientTimeout, got {timeout!r}")


def session_timeout(timeout: object) -> ClientTimeout:
    """A session's ``timeout=``: a ClientTimeout, or None for the default (ValueError else)."""
    if timeout is None:
        return DEFAULT_TIMEOUT
    if not isinstance(timeout, ClientTimeout):
        raise ValueError(
            f"timeout parameter cannot be of {type(timeout)} type, "
            "please use 'timeout=ClientTimeout(...)'"
        )
    return timeout


def _request_coding(compress: str | bool | None, headers: CIMultiDict[str]) -> str | None:
    """The Content-Encoding ``compress=`` asks for (True: deflate); sets the header."""
    if not compress:
        return None
    if headers.get("Content-Encoding"):
        raise ValueError("compress can not be set if Content-Encoding header is set")
    coding = "deflate" if compress is True else str(compress)
    if coding.lower() not in ("deflate", "gzip"):
        raise ValueError(f"compress={compress!r}: aiotape compresses bodies as deflate or gzip")
    headers["Content-Encoding"] = coding
    return coding


def _is_empty(data: Any, json: Any) -> bool:
    """No body to compress: no data, or empty bytes, text or fields (aiohttp's ``not data``)."""
    if json is not None or data is None:
        return json is None
    return isinstance(data, (bytes, bytearray, str, Mapping, list, tuple)) and not data


def encode_request_body(
    method: str,
    data: Any,
    json: Any,
    json_serialize: Callable[[Any], str | bytes],
    chunked: bool | None,
    headers: CIMultiDict[str],
    compress: str | bool | None = None,
) -> bytes | Any:
    """Encode ``data``/``json`` and set Content-Type and Content-Length/Transfer-Encoding.

    ``compress`` deflates (or gzips) a non-empty body, which then goes chunked (aiohttp's rule).
    """
    coding = None if not compress or _is_empty(data, json) else _request_coding(compress, headers)
    chunked = chunked or coding is not None
    te_chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
    if chunked and te_chunked:
        raise ValueError('chunked can not be set if "Transfer-Encoding: chunked" header is set')
    if chunked and "Content-Length" in headers:
        raise ValueError("chunked can not be set if Content-Length header is set")
    if data is None and json is None:
        if method not in BODYLESS_METHODS and not chunked and "Content-Length" not in headers:
            headers["Content-Length"] = "0"
        return b""
    bodies = _bodies()
    encoded = bodies.encode_body(data, json, json_serialize)
    if encoded.content_type is not None and "Content-Type" not in headers:
        headers["Content-Type"] = encoded.content_type
    for name, value in encoded.headers:
        headers.setdefault(name, value)
    if chunked or te_chunked or (encoded.length is None and "Content-Length" not in headers):
        headers.popall("Content-Length", None)
        if not te_chunked:
            headers["Transfer-Encoding"] = "chunked"
    elif "Content-Length" not in headers:
        headers["Content-Length"] = str(encoded.length)
    return encoded.body if coding is None else bodies.compressed(encoded.body, coding)


class _Bodies:
    """The request body encoders (``payloads``: forms, files, mimetypes...), imported by the
    first request with a body and bound here once (no request pays an import statement)."""

    __slots__ = ("compressed", "encode_body")

    def __init__(self) -> None:
        from .payloads import compressed, encode_body

        self.compressed = compressed
        self.encode_body = encode_body


@functools.cache
def _bodies() -> _Bodies:
    """The one ``_Bodies``, made (and payloads imported) on first use."""
    return _Bodies()
