"""A ClientSession call's plan: the request options (their defaults and checks), the settings
its hops are sent and read with, and the seam Request each hop becomes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .auth import BasicAuth
from .prepare import REDIRECT_STATUSES
from .proxies import ProxyRoute
from .request_info import RequestInfo, SSLSetting
from .response import ClientResponse, HttpVersion, utf8_fallback
from .seam_request import _RequestLayout
from .session_options import CharsetResolver, Limits, without_unframed_body
from .timeouts import ClientTimeout, deadline
from .transport import Request, Response

if TYPE_CHECKING:
    from asyncio import AbstractEventLoop

    from .middlewares import ClientMiddlewareType
    from .options import RaiseForStatus, RequestOptions
    from .request_trace import RequestTrace
    from .seam_protocols import Transport

__all__ = ["OPTION_DEFAULTS", "Call", "Hop", "Plan", "check_options", "request_limits"]

OPTION_DEFAULTS: RequestOptions = {
    "params": None,
    "data": None,
    "json": None,
    "cookies": None,
    "headers": None,
    "skip_auto_headers": None,
    "auth": None,
    "allow_redirects": True,
    "max_redirects": 10,
    "chunked": None,
    "raise_for_status": None,
    "ssl": True,
    "verify_ssl": None,
    "ssl_context": None,
    "fingerprint": None,
    "server_hostname": None,
    "proxy": None,
    "proxy_auth": None,
    "proxy_headers": None,
    "auto_decompress": None,
    "read_bufsize": None,
    "trace_request_ctx": None,
    "middlewares": None,
    "compress": None,
    "expect100": False,
    "read_until_eof": True,
    "max_line_size": None,
    "max_field_size": None,
    "max_headers": None,
}
"""What a request option is when the call does not give it (``timeout``: the session's)."""
_OPTION_NAMES = frozenset({*OPTION_DEFAULTS, "timeout"})
_new_object = object.__new__


class _RequestDraft(_RequestLayout):
    """A Request under construction: the same slots, plain attribute stores (a frozen
    dataclass pays a checked ``object.__setattr__`` per field), then made a Request."""

    __slots__ = ()
    method: str
    url: URL
    headers: CIMultiDictProxy[str]
    body: bytes | Any
    timeout: ClientTimeout
    started: float
    deadline: float | None
    ssl: SSLSetting
    server_hostname: str | None
    simulated_elapsed: float
    trace: RequestTrace | None
    head_limits: Limits | None
    version: HttpVersion
    proxy: URL | None
    proxy_auth: BasicAuth | None
    proxy_headers: CIMultiDictProxy[str] | None


class Hop:
    """What the next hop of a request sends; following a redirect rewrites it."""

    __slots__ = ("auth", "cookies", "data", "headers", "json", "method", "url")

    def __init__(
        self,
        method: str,
        url: URL,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
        data: Any,
        json: Any,
        auth: BasicAuth | None,
        cookies: Any,
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.data = data
        self.json = json
        self.auth = auth
        self.cookies = cookies

    @classmethod
    def first(
        cls,
        method: str,
        url: URL,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
        options: RequestOptions,
    ) -> Hop:
        """The first hop of a request: its method, URL, headers and ``options``' body and
        credentials."""
        return cls(
            method,
            url,
            headers,
            options["data"],
            options["json"],
            options["auth"],
            options["cookies"],
        )


class Plan:
    """How a request's hops are sent and read, and which redirects it follows: the call's
    options, the session's settings filling in. Never changed once made: calls without
    options share it with the sessions of the same settings. (A plain class: a dataclass
    would cost every import more than it saves.)"""

    __slots__ = (
        "auto_decompress",
        "chunked",
        "compress",
        "max_redirects",
        "middlewares",
        "plain_response",
        "raise_for_status",
        "read_bufsize",
        "read_until_eof",
        "redirects",
        "resolve_charset",
        "response_class",
        "route",
        "sent",
        "skip_auto_headers",
        "timeout",
    )

    def __init__(
        self,
        middlewares: Sequence[ClientMiddlewareType],
        auto_decompress: bool,
        read_bufsize: int,
        response_class: type[ClientResponse],
        resolve_charset: CharsetResolver,
        read_until_eof: bool,
        timeout: ClientTimeout,
        ssl: SSLSetting,
        server_hostname: str | None,
        head_limits: Limits | None,
        version: HttpVersion,
        route: ProxyRoute | None,
        skip_auto_headers: Iterable[str] | None,
        chunked: bool | None,
        compress: str | bool | None,
        allow_redirects: bool,
        max_redirects: int,
        raise_for_status: RaiseForStatus,
    ) -> None:
        self.middlewares = middlewares
        self.auto_decompress = auto_decompress
        self.read_bufsize = read_bufsize
        self.response_class = response_class
        self.resolve_charset = resolve_charset
        self.read_until_eof = read_until_eof
        self.timeout = timeout
        self.sent = (timeout, ssl, server_hostname, head_limits, version)
        """What each hop's Request carries from the plan: its timeout, ssl, server_hostname,
        head limits and HTTP version."""
        self.route = route
        self.skip_auto_headers = skip_auto_headers
        self.chunked = chunked
        self.compress = compress
        self.redirects = REDIRECT_STATUSES if allow_redirects else frozenset()
        """The statuses whose Location the request follows (none without allow_redirects)."""
        self.max_redirects = max_redirects
        self.raise_for_status = raise_for_status
        self.plain_response = (
            response_class is ClientResponse and read_until_eof and resolve_charset is utf8_fallback
        )
        """Whether a response is a ClientResponse as ``_begin`` alone makes it: ``response``
        adds nothing to it (for ``info`` given)."""

    def request(
        self,
        method: str,
        url: URL,
        headers: CIMultiDictProxy[str],
        started: float,
        route: ProxyRoute,
        loop: AbstractEventLoop,
        url_text: str | None = None,
        *,
        body: bytes | Any = b"",
        simulated_elapsed: float = 0.0,
        trace: RequestTrace | None = None,
    ) -> Request:
        """The seam request of one hop, sent with this plan by a request that started at
        ``loop``'s time ``started`` (``url_text``: ``str(url)``, when at hand)."""
        draft = _RequestDraft()
        draft._url_text = url_text
        draft._loop = loop
        draft.method = method
        draft.url = url
        draft.headers = headers
        draft.body = body
        draft.started = started
        timeout = self.timeout
        draft.deadline = deadline(started, timeout.total, timeout.ceil_threshold)
        draft.simulated_elapsed = simulated_elapsed
        draft.trace = trace
        draft.timeout, draft.ssl, draft.server_hostname, draft.head_limits, draft.version = (
            self.sent
        )
        draft.proxy, draft.proxy_auth, draft.proxy_headers = route
        draft.__class__ = Request  # type: ignore[assignment]  # same slots: now frozen
        return draft  # type: ignore[return-value]

    def response(
        self, request: Request, wire: Response, info: RequestInfo | None = None
    ) -> ClientResponse:
        """The ClientResponse of ``request`` answered by ``wire`` (its head); ``info``: the
        request's RequestInfo when already made."""
        if not self.read_until_eof:
            wire = without_unframed_body(wire)
        url = request.url
        if info is None:
            info = tuple.__new__(  # RequestInfo(...) without its Python-level __new__
                RequestInfo,
                (
                    url.with_fragment(None) if url.raw_fragment else url,
                    request.method,
                    request.headers,
                    url,
                ),
            )
        cls = self.response_class
        if cls is ClientResponse:  # ClientResponse(...) without a class call's keyword handling
            resp = _new_object(cls)
            resp._begin(wire, info, self.auto_decompress, self.read_bufsize)
        else:
            resp = cls(
                request.method,
                url,
                wire,
                request_info=info,
                auto_decompress=self.auto_decompress,
                read_bufsize=self.read_bufsize,
            )
        if self.resolve_charset is not utf8_fallback:
            resp._resolve_charset = self.resolve_charset
        return resp


class Call:
    """One request: its plan, the transport its hops go through, when it started on
    ``loop``'s clock (which sets when its total timeout expires), and its trace (with trace
    configs)."""

    __slots__ = ("loop", "plan", "started", "trace", "transport")

    def __init__(
        self,
        plan: Plan,
        transport: Transport,
        loop: AbstractEventLoop,
        started: float,
        trace: RequestTrace | None,
    ) -> None:
        self.plan = plan
        self.transport = transport
        self.loop = loop
        self.started = started
        self.trace = trace

    def request(
        self,
        hop: Hop,
        headers: CIMultiDict[str],
        body: bytes | Any,
        route: ProxyRoute,
        history: list[ClientResponse],
    ) -> Request:
        """The seam request of ``hop``, carrying the simulated time of the hops before it."""
        return self.plan.request(
            hop.method,
            hop.url,
            CIMultiDictProxy(headers),
            self.started,
            route,
            self.loop,
            body=body,
            simulated_elapsed=sum(r._simulated_elapsed for r in history) if history else 0.0,
            trace=self.trace,
        )

    async def exchange(self, request: Request) -> ClientResponse:
        """Send ``request`` through the transport; its response head as a ClientResponse."""
        return self.plan.response(request, await self.transport.handle(request))


def request_limits(session: Limits, options: RequestOptions) -> Limits | None:
    """A request's head limits, the session's filling in; None when it sets none."""
    line = options["max_line_size"]
    field = options["max_field_size"]
    headers = options["max_headers"]
    if line is None and field is None and headers is None:
        return None
    return (
        session[0] if line is None else line,
        session[1] if field is None else field,
        session[2] if headers is None else headers,
    )


def check_options(options: RequestOptions) -> None:
    """``TypeError`` for a keyword argument requests do not take (as a misspelt one would)."""
    for name in options:
        if name not in _OPTION_NAMES:
            raise TypeError(f"request() got an unexpected keyword argument {name!r}")
