"""ClientResponse: the response as the session hands it to users."""

from __future__ import annotations

import codecs
import functools
import json as _json
import re
from collections.abc import Awaitable, Callable
from io import BytesIO
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

from multidict import CIMultiDictProxy, MultiDict, MultiDictProxy, istr
from yarl import URL

from . import exceptions
from .decoders import make_decoder
from .request_info import RequestInfo
from .streams import Source, StreamReader, decoded_source, whole_body
from .transport import ChunkedBody, Response, header_bytes

if TYPE_CHECKING:
    from http.cookies import SimpleCookie

    from .disposition import ContentDisposition
    from .response_connection import ResponseConnection
    from .seam_protocols import TraceHooks

__all__ = ["ClientResponse", "HttpVersion", "HttpVersion10", "HttpVersion11", "utf8_fallback"]

_JSON_RE = re.compile(r"^application/(?:[\w.+-]+?\+)?json")
_PLAIN_JSON = frozenset({"application/json", "application/rdap+json"})
_CONTENT_ENCODING = istr("Content-Encoding")  # an istr: looked up without lower-casing it
# Link patterns: compiled (and cached by ``re``) by the first ``links``, a rare call.
_LINK_SPLIT = r",(?=\s*<)"
_LINK_PARAM = r"^(?P<key>[^\s=]+)\s*=\s*(?:\"(?P<quoted>[^\"]*)\"|(?P<plain>\S*))$"


class HttpVersion(NamedTuple):
    """HTTP protocol version."""

    major: int
    minor: int


HttpVersion10 = HttpVersion(1, 0)
HttpVersion11 = HttpVersion(1, 1)


def utf8_fallback(response: ClientResponse, body: bytes) -> str:
    """The default ``fallback_charset_resolver``: utf-8, as aiohttp's."""
    return "utf-8"


def _parse_content_type(raw: str | None) -> tuple[str, dict[str, str]]:
    if not raw:
        return "application/octet-stream", {}
    mimetype, _, rest = raw.partition(";")
    mimetype = mimetype.strip().lower()
    if mimetype.count("/") != 1:  # not type/subtype: aiohttp (email) falls back too
        mimetype = "application/octet-stream"
    params: dict[str, str] = {}
    for item in rest.split(";"):
        key, sep, value = item.partition("=")
        if sep:
            params[key.strip().lower()] = value.strip().strip('"')
    return mimetype, params


@functools.cache
def _connection_closed() -> exceptions.ClientConnectionError:
    """What reading a released response raises (one shared instance, as aiohttp has)."""
    return exceptions.ClientConnectionError("Connection closed")


class _Released(tuple[()]):
    """What ``release()`` returns: callers may await it or not (aiohttp code does both).
    Awaiting it iterates the empty tuple: done at once, without a Python-level call."""

    __slots__ = ()
    __await__ = tuple.__iter__


_RELEASED = _Released()


def parse_links(url: URL, values: list[str]) -> MultiDictProxy[MultiDictProxy[str | URL]]:
    """RFC 8288 ``Link`` headers as aiohttp's ``links``: rel (or the URL) -> params + ``url``."""
    links: MultiDict[MultiDictProxy[str | URL]] = MultiDict()
    for item in re.split(_LINK_SPLIT, ", ".join(values)) if values else ():
        target, sep, rest = item.strip().partition(">")
        if not sep or not target.startswith("<"):
            continue
        link: MultiDict[str | URL] = MultiDict()
        for param in rest.split(";")[1:]:
            match = re.match(_LINK_PARAM, param.strip())
            if match is not None:
                link.add(
                    match["key"], match["quoted"] if match["quoted"] is not None else match["plain"]
                )
        key = str(link.get("rel", target[1:]))
        link.add("url", url.join(URL(target[1:])))
        links.add(key, MultiDictProxy(link))
    return MultiDictProxy(links)


class ClientResponse:
    """A received response: status, headers and a lazily decoded body (aiohttp's API)."""

    # State that every read() and release() reads is set by _begin: an attribute found on the
    # class, not the instance, costs Python 3.11 an unspecialised lookup each time it is read.
    _trace: TraceHooks | None  # set by tracing; read() reports the body to it
    _content: StreamReader | None  # made on first use: read() goes around it
    _source: Source | None  # the decoding source; None: the wire body's own chunks
    _body: bytes | None
    _released: bool
    # Other per-response state starts as these class-level values (one store fewer each, per
    # response); the instance sets its own when it changes or differs.
    _history: tuple[ClientResponse, ...] = ()
    _cookies: SimpleCookie | None = None
    _content_type: tuple[str, dict[str, str]] | None = None
    _raw_headers: tuple[tuple[bytes, bytes], ...] | None = None  # made by the first raw_headers
    _closed = True  # until __init__ completes: __del__ leaves a half-made response alone
    _in_context = False
    _read_bufsize = 2**18
    _resolve_charset: Callable[[ClientResponse, bytes], str] = staticmethod(utf8_fallback)
    version: HttpVersion = HttpVersion11

    def __init__(
        self,
        method: str,
        url: URL,
        wire: Response,
        *,
        request_info: RequestInfo,
        history: tuple[ClientResponse, ...] = (),
        auto_decompress: bool = True,
        read_bufsize: int = 2**18,
    ) -> None:
        self._begin(wire, request_info, auto_decompress, read_bufsize)
        self.method = method
        if url is not request_info.real_url:
            self._real_url = url
            self._url = url.with_fragment(None) if url.raw_fragment else url
        if history:
            self._history = history

    def _begin(
        self,
        wire: Response,
        request_info: RequestInfo,
        auto_decompress: bool,
        read_bufsize: int,
    ) -> None:
        """What ``__init__`` sets when the method and URL are ``request_info``'s, but the
        history. Sessions make a plain ClientResponse with ``object.__new__`` and this alone:
        a class call with keywords costs more than it does."""
        self._url, self.method, _, self._real_url = request_info  # url, method, headers, real_url
        self.status = wire.status
        self.reason: str | None = wire.reason
        if wire.version != (1, 1):
            self.version = HttpVersion(*wire.version)
        self.headers: CIMultiDictProxy[str] = wire.headers
        self._wire = wire  # what raw_headers and the simulated time come from when asked
        self.request_info = request_info
        self._wire_body = wire.body
        encoding = wire.headers.get(_CONTENT_ENCODING) if auto_decompress else None
        self._source = decoded_source(wire.body, make_decoder(encoding)) if encoding else None
        self._content = None
        self._body = None
        self._released = False
        self._trace = None
        if read_bufsize != 2**18:
            self._read_bufsize = read_bufsize
        self._closed = False

    # -- metadata -----------------------------------------------------------------------
    @property
    def url(self) -> URL:
        """The response URL (without fragment)."""
        return self._url

    @property
    def real_url(self) -> URL:
        """The requested URL, fragment included."""
        return self._real_url

    @property
    def host(self) -> str:
        """Host of the response URL."""
        return self._url.host or ""

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """The response headers as bytes, as received (name case and order kept)."""
        raw = self._raw_headers
        if raw is None:
            raw = self._wire.raw_headers
            if raw is None:  # the head as bytes is the headers encoded
                raw = header_bytes(self.headers.items())
            self._raw_headers = raw
        return raw

    @property
    def _simulated_elapsed(self) -> float:
        """The simulated time (seconds no clock saw pass) the answer took."""
        return self._wire.simulated_elapsed

    @property
    def ok(self) -> bool:
        """True when status < 400."""
        return self.status < 400

    @property
    def history(self) -> tuple[ClientResponse, ...]:
        """Responses of the redirects that led here (set on the final response only)."""
        return self._history

    @property
    def cookies(self) -> SimpleCookie:
        """Cookies set by this response, parsed leniently as aiohttp (and the jar) do."""
        if self._cookies is None:
            from http.cookies import SimpleCookie  # imported by the first response asked

            from .cookie_syntax import parse_set_cookie

            jar = SimpleCookie()
            for header in self.headers.getall("Set-Cookie", ()):
                parsed = parse_set_cookie(header)
                if parsed is not None:
                    dict.__setitem__(jar, *parsed)
            self._cookies = jar
        return self._cookies

    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        if self._content_type is None:
            self._content_type = _parse_content_type(self.headers.get("Content-Type"))
        return self._content_type

    @property
    def content_type(self) -> str:
        """Mime type of the body (``application/octet-stream`` when absent)."""
        return self._parsed_content_type()[0]

    @property
    def charset(self) -> str | None:
        """Charset from the Content-Type header, if any."""
        return self._parsed_content_type()[1].get("charset")

    @property
    def content_disposition(self) -> ContentDisposition | None:
        """The parsed Content-Disposition header (aiohttp's rules and warnings), if any."""
        from .disposition import content_disposition  # imported by the first response asked

        return content_disposition(self.headers.get("Content-Disposition"))

    @property
    def content_length(self) -> int | None:
        """Content-Length header as int, if present."""
        value = self.headers.get("Content-Length")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def closed(self) -> bool:
        """True once released or closed."""
        return self._closed

    @property
    def connection(self) -> ResponseConnection | None:
        """The connection the body arrives on; None once the response is released."""
        from .response_connection import ResponseConnection  # loaded by the first one asked

        return None if self._closed else ResponseConnection(self)

    def get_encoding(self) -> str:
        """Codec name ``text()`` uses when none is given: the charset, else utf-8.

        Like aiohttp: JSON bodies are utf-8, and for other types without a known charset
        the body must have been read first (``RuntimeError`` otherwise).
        """
        charset = self.charset
        if charset:
            try:
                return codecs.lookup(charset).name
            except (LookupError, ValueError):  # unknown, or not even a codec name
                pass
        mimetype = self.content_type
        if mimetype not in ("application/json", "application/rdap+json") and self._body is None:
            raise RuntimeError("Cannot compute fallback encoding of a not yet read body")
        return "utf-8" if self._body is None else self._resolve_charset(self, self._body)

    # -- body -----------------------------------------------------------------------------
    @property
    def content(self) -> StreamReader:
        """The body as aiohttp's ``StreamReader``."""
        content = self._content
        if content is None:
            source = self._source or self._wire_body.read_chunk
            content = self._content = StreamReader(source=source, limit=self._read_bufsize)
            if self._body is not None:  # read() took the whole body without it
                content.drained(len(self._body))
            if self._released:
                content.set_exception(_connection_closed())
        return content

    async def _read_pieces(self) -> bytes:
        """The whole body piece by piece straight from the source (``content`` unused)."""
        source = self._source or self._wire_body.read_chunk
        first = await source()
        block = await source() if first else first
        if not block:
            return first
        # Pieces go into one growing buffer as they come (none is kept), and getvalue()
        # hands that buffer over without a copy: the body is copied once, and memory
        # freed by each piece is reused for the next.
        body = BytesIO()
        body.write(first)
        while block:
            body.write(block)
            block = await source()
        return body.getvalue()

    async def read(self) -> bytes:
        """Read the whole (decoded) body; ``ClientConnectionError`` once released."""
        if self._body is None:
            direct = self._content is None and not self._released  # nobody used content
            wire = self._wire_body
            try:
                if direct and type(wire) is ChunkedBody and self._source is None:
                    # In memory and not encoded: nothing to await, nor to release after.
                    self._body = wire.rest()
                    self._closed = True
                else:
                    reading: Awaitable[bytes] = (
                        (whole_body(wire, self._source or wire.read_chunk) or self._read_pieces())
                        if direct
                        else self.content.read()
                    )
                    self._body = await reading
            except BaseException as exc:
                if direct and isinstance(exc, Exception):  # the source failed: content says so
                    self.content.set_exception(exc)
                self.close()
                raise
            if not self._closed:  # done with the wire body, read to its end
                self._closed = True
                wire.close()
            if self._trace is not None:
                await self._trace.send_response_chunk_received(self.method, self.url, self._body)
        elif self._released:
            raise _connection_closed()
        return self._body

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        """Read the body and decode it (charset from headers, else utf-8)."""
        body = self._body if self._body is not None else await self.read()
        return body.decode(encoding or self.get_encoding(), errors=errors)

    async def json(
        self,
        *,
        encoding: str | None = None,
        loads: Callable[[str], Any] = _json.loads,
        content_type: str | None = "application/json",
    ) -> Any:
        """Read the body as JSON; ``ContentTypeError`` when the mime type does not fit."""
        body = self._body if self._body is not None else await self.read()
        if content_type:
            ctype = self.headers.get("Content-Type", "").lower()
            expected = (
                _JSON_RE.match(ctype)
                if content_type == "application/json"
                else content_type in ctype
            )
            if not expected:
                raise exceptions.ContentTypeError(
                    self.request_info,
                    self._history,
                    status=self.status,
                    message=f"Attempt to decode JSON with unexpected mimetype: {ctype}",
                    headers=self.headers,
                )
        stripped = body.strip()
        if not stripped:
            return None
        if encoding is None:  # get_encoding(), short for a JSON type without parameters
            plain = self.headers.get("Content-Type", "") in _PLAIN_JSON
            default = plain and self._resolve_charset is utf8_fallback
            encoding = "utf-8" if default else self.get_encoding()
        return loads(stripped.decode(encoding))

    def raise_for_status(self) -> None:
        """Raise ``ClientResponseError`` for status >= 400 (releasing it outside ``async with``)."""
        if self.status >= 400:
            if not self._in_context:
                self.release()
            raise exceptions.ClientResponseError(
                self.request_info,
                self._history,
                status=self.status,
                message=self.reason or "",
                headers=self.headers,
            )

    @property
    def links(self) -> MultiDictProxy[MultiDictProxy[str | URL]]:
        """Parsed ``Link`` headers, keyed by ``rel``."""
        return parse_links(self._url, self.headers.getall("Link", []))

    def release(self) -> _Released:
        """Give the connection back (an unread body closes it); awaiting the result is optional.

        Later reads of the body raise ``ClientConnectionError``, as aiohttp's do.
        """
        if not self._released:
            self._released = True
            content = self._content
            if content is not None and content.exception() is None:
                content.set_exception(_connection_closed())
        if not self._closed:  # done with the wire body
            self._closed = True
            self._wire_body.close()
        return _RELEASED

    def close(self) -> None:
        """Close the response and its connection."""
        self.release()

    async def wait_for_close(self) -> None:
        """aiohttp compatibility: the body is released synchronously."""
        self.release()

    async def __aenter__(self) -> ClientResponse:
        self._in_context = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._in_context = False
        self.release()

    def __del__(self) -> None:
        # Like aiohttp: a response dropped unread gives its pool slot back (closing the socket).
        if not self._closed:
            self._wire_body.close()

    def __repr__(self) -> str:
        return f"<ClientResponse({self._url}) [{self.status} {self.reason}]>"
