"""The request pipeline of ClientSession: a call's plan, its hops over the seam, redirects
(aiohttp's rules for method, body and credentials), cookies from answers and status checks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from . import exceptions
from .auth import BasicAuth
from .fingerprint import SSLSetting
from .middlewares import ClientMiddlewareType, ClientRequest, build_client_middlewares
from .options import RaiseForStatus, RequestOptions
from .payloads import finish_body, rewind_body
from .prepare import (
    UNSET,
    check_method,
    check_scheme,
    encode_request_body,
    redirect_target,
    resolve_timeout,
    without,
)
from .proxies import DIRECT, ProxyRoute
from .request_builder import RequestBuilder
from .request_context import RequestContextManager, ResponseContextManager
from .request_info import RequestInfo
from .response import ClientResponse, HttpVersion, HttpVersion11, utf8_fallback
from .session_options import (
    CharsetResolver,
    Limits,
    version_headers,
    with_expect_continue,
    without_unframed_body,
)
from .ssl_params import merge_ssl_params
from .timeouts import ClientTimeout, deadline
from .tracing import TraceConfig
from .transport import Request, Response, Transport, close_body

if TYPE_CHECKING:
    from .request_trace import RequestTrace
    from .session import ClientSession

__all__ = ["Call", "Hop", "Plan", "RequestPipeline", "check_options", "request_limits"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_POST_METHODS = frozenset({"PATCH", "POST", "PUT"})
_CREDENTIAL_HEADERS = ("Authorization", "Cookie", "Proxy-Authorization")
_CONSUMED_BODY = (
    "Cannot follow redirect with a consumed request body. "
    "Use bytes, a seekable file-like object, or set allow_redirects=False."
)
_OPTION_NAMES = frozenset(RequestOptions.__annotations__)
_BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_CHECKED_METHODS = {
    method: method for method in ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
}
"""Methods ``check_method`` accepts unchanged: a call without options looks them up."""
_SSL_OPTIONS = itemgetter("ssl", "verify_ssl", "ssl_context", "fingerprint")
_DEFAULTS: RequestOptions = {
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


class _RequestDraft:
    """A Request under construction: the same slots, plain attribute stores (a frozen
    dataclass pays a checked ``object.__setattr__`` per field), then made a Request."""

    __slots__ = Request.__slots__
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


assert _RequestDraft.__slots__ == tuple(field.name for field in fields(Request))


@dataclass(slots=True)
class Hop:
    """What the next hop of a request sends; following a redirect rewrites it."""

    method: str
    url: URL
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None
    data: Any
    json: Any
    auth: BasicAuth | None
    cookies: Any

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


@dataclass(slots=True)
class Plan:
    """How a request's hops are sent and read, and which redirects it follows: the call's
    options, the session's settings filling in. Never changed once made: calls without
    options share their session's."""

    middlewares: Sequence[ClientMiddlewareType]
    auto_decompress: bool
    read_bufsize: int
    response_class: type[ClientResponse]
    resolve_charset: CharsetResolver
    read_until_eof: bool
    timeout: ClientTimeout
    ssl: SSLSetting
    server_hostname: str | None
    head_limits: Limits | None
    version: HttpVersion
    route: ProxyRoute | None
    skip_auto_headers: Iterable[str] | None
    chunked: bool | None
    compress: str | bool | None
    allow_redirects: bool
    max_redirects: int
    raise_for_status: RaiseForStatus | None

    def response(self, request: Request, wire: Response) -> ClientResponse:
        """The ClientResponse of ``request`` answered by ``wire`` (its head)."""
        if not self.read_until_eof:
            wire = without_unframed_body(wire)
        url = request.url
        resp = self.response_class(
            request.method,
            url,
            wire,
            request_info=tuple.__new__(  # RequestInfo(...) without its Python-level __new__
                RequestInfo,
                (
                    url.with_fragment(None) if url.raw_fragment else url,
                    request.method,
                    request.headers,
                    url,
                ),
            ),
            auto_decompress=self.auto_decompress,
            read_bufsize=self.read_bufsize,
        )
        if self.resolve_charset is not utf8_fallback:
            resp._resolve_charset = self.resolve_charset
        return resp


@dataclass(slots=True)
class Call:
    """One request: its plan, the transport its hops go through, when it started and when
    its total timeout expires, and its trace (with trace configs)."""

    plan: Plan
    transport: Transport
    started: float
    deadline: float | None
    trace: RequestTrace | None

    def request(
        self,
        hop: Hop,
        headers: CIMultiDict[str],
        body: bytes | Any,
        route: ProxyRoute,
        history: list[ClientResponse],
    ) -> Request:
        """The seam request of ``hop``, carrying the simulated time of the hops before it."""
        plan = self.plan
        draft = _RequestDraft()
        draft.method = hop.method
        draft.url = hop.url
        draft.headers = CIMultiDictProxy(headers)
        draft.body = body
        draft.timeout = plan.timeout
        draft.started = self.started
        draft.deadline = self.deadline
        draft.ssl = plan.ssl
        draft.server_hostname = plan.server_hostname
        draft.simulated_elapsed = sum(r._simulated_elapsed for r in history) if history else 0.0
        draft.trace = self.trace
        draft.head_limits = plan.head_limits
        draft.version = plan.version
        draft.proxy = route.url
        draft.proxy_auth = route.auth
        draft.proxy_headers = route.headers
        draft.__class__ = Request  # type: ignore[assignment]  # same slots: now frozen
        return draft  # type: ignore[return-value]

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


class RequestPipeline(RequestBuilder):
    """Requests of a ClientSession, hop by hop (a base of ClientSession, which sets the
    attributes declared here)."""

    _limits: Limits
    _timeout: ClientTimeout
    _trace_configs: list[TraceConfig]
    _middlewares: Sequence[ClientMiddlewareType]
    _auto_decompress: bool
    _read_bufsize: int
    _response_class: type[ClientResponse]
    _resolve_charset: CharsetResolver
    _version: HttpVersion
    _trust_env: bool
    _json_dumps: Callable[[Any], Any]
    _raise_for_status: RaiseForStatus
    _requote_redirect_url: bool
    _plain_context: bool
    _default_plan: Plan | None

    def _open(
        self, method: str, str_or_url: str | URL, options: RequestOptions
    ) -> RequestContextManager[ClientResponse]:
        """What ``session.get(...)`` and the other verbs return; a keyword requests do not
        take raises ``TypeError`` now, at the call, as it would binding a signature."""
        if options:
            check_options(options)
        if self._plain_context:
            return ResponseContextManager(self, method, str_or_url, options)
        return RequestContextManager(self._perform(method, str_or_url, options, None))

    def _request(
        self, method: str, str_or_url: str | URL, options: RequestOptions
    ) -> Coroutine[Any, Any, ClientResponse]:
        """The request as a coroutine (``TypeError`` now for a keyword requests do not take)."""
        if options:
            check_options(options)
        return self._perform(method, str_or_url, options, None)

    async def _perform(
        self,
        method: str,
        str_or_url: str | URL,
        options: RequestOptions,
        context: ResponseContextManager | None,
    ) -> ClientResponse:
        call, hop = self._plan(method, str_or_url, options)
        plan, trace = call.plan, call.trace
        if trace is not None:  # tracing hook: request start
            hop.headers = await trace.send_request_start(
                hop.method, hop.url, self._default_headers, hop.headers
            )
        history: list[ClientResponse] = []
        body: bytes | Any = b""
        try:
            while True:
                check_scheme(hop.url, bool(history))
                route, hop_auth = plan.route or DIRECT, hop.auth
                if self._trust_env:
                    route, hop_auth = await self._from_env(
                        hop.url, plan.route, hop.auth, hop.headers
                    )
                req_headers, body = self._encode_hop(hop, hop_auth, plan, bool(history))
                request = call.request(hop, req_headers, body, route, history)
                if plan.middlewares:
                    resp = await self._send(call, request)
                else:
                    resp = plan.response(request, await call.transport.handle(request))
                set_cookie = resp.headers.getall("Set-Cookie", ())
                if set_cookie:
                    self._cookie_jar.update_cookies_from_headers(set_cookie, hop.url)
                if not (plan.allow_redirects and resp.status in _REDIRECTS):
                    break
                if trace is not None:  # tracing hook: redirect
                    await trace.send_request_redirect(hop.method, hop.url, hop.headers, resp)
                history.append(resp)
                if not self._redirect(hop, resp, body, plan.max_redirects, history):
                    break
            if not isinstance(body, bytes):
                finish_body(body)
            if history:  # as aiohttp: on the final response only
                resp._history = tuple(history)
            check = plan.raise_for_status
            if check is None:
                check = self._raise_for_status
            if check is True:
                resp.raise_for_status()
            elif callable(check):
                await check(resp)
        except BaseException as exc:
            await close_body(body)
            if trace is not None:  # tracing hook: request exception
                await trace.send_request_exception(hop.method, hop.url, hop.headers, exc)
            raise
        if trace is not None:  # tracing hook: request end
            await trace.send_request_end(hop.method, hop.url, hop.headers, resp)
        if context is not None:
            context.opened(resp)
        return resp

    def _plan(
        self, method: str, str_or_url: str | URL, options: RequestOptions
    ) -> tuple[Call, Hop]:
        """The request (its plan: the call's options, else the session's settings) and its
        first hop."""
        if not options:  # the session's plan, made once; no option merges or checks
            plan = self._default_plan
            if plan is None:
                plan = self._default_plan = self._make_plan(_DEFAULTS, self._timeout, True)
            url = self._target_url(str_or_url, None)
            method = _CHECKED_METHODS.get(method) or check_method(method)
            return self._call(plan, None), Hop(method, url, None, None, None, None, None)
        timeout_option = options.get("timeout", UNSET)
        options = {**_DEFAULTS, **options}
        headers = options["headers"]
        if options["expect100"]:
            headers = with_expect_continue(headers)
        url = self._target_url(str_or_url, options["params"])
        plan = self._make_plan(
            options,
            resolve_timeout(timeout_option, self._timeout),
            merge_ssl_params(*_SSL_OPTIONS(options)),
        )
        method = check_method(method)
        return self._call(plan, options["trace_request_ctx"]), Hop.first(
            method, url, headers, options
        )

    def _make_plan(self, options: RequestOptions, timeout: ClientTimeout, ssl: SSLSetting) -> Plan:
        middlewares = options["middlewares"]
        auto_decompress = options["auto_decompress"]
        read_bufsize = options["read_bufsize"]
        return Plan(
            self._middlewares if middlewares is None else middlewares,
            self._auto_decompress if auto_decompress is None else auto_decompress,
            self._read_bufsize if read_bufsize is None else read_bufsize,
            self._response_class,
            self._resolve_charset,
            options["read_until_eof"],
            timeout,
            ssl,
            options["server_hostname"],
            request_limits(self._limits, options),
            self._version,
            self._explicit_route(options["proxy"], options["proxy_auth"], options["proxy_headers"]),
            options["skip_auto_headers"],
            options["chunked"],
            options["compress"],
            options["allow_redirects"],
            options["max_redirects"],
            options["raise_for_status"],
        )

    def _call(self, plan: Plan, trace_request_ctx: Any) -> Call:
        """A request following ``plan`` that starts now (through the current transport)."""
        started = asyncio.get_running_loop().time()
        transport = self._current_transport()
        trace = None
        if self._trace_configs:
            from .request_trace import RequestTrace  # imported only by sessions that trace

            trace = RequestTrace(self, self._trace_configs, trace_request_ctx)
            transport = trace.transport(transport)
        timeout = plan.timeout
        return Call(
            plan,
            transport,
            started,
            deadline(started, timeout.total, timeout.ceil_threshold),
            trace,
        )

    def _encode_hop(
        self, hop: Hop, auth: BasicAuth | None, plan: Plan, redirected: bool
    ) -> tuple[CIMultiDict[str], bytes | Any]:
        """The next hop's final headers and encoded body (``hop.url`` loses its credentials;
        ``hop.auth`` becomes the auth used, which a same-origin redirect keeps)."""
        skip_auto_headers = plan.skip_auto_headers
        hop.url, headers, hop.auth = self._prepare_headers(
            hop.url, hop.headers, skip_auto_headers, auth, hop.cookies, redirected
        )
        if self._version is not HttpVersion11:
            version_headers(self._version, headers)
        if (
            hop.data is None
            and hop.json is None
            and hop.method in _BODYLESS_METHODS
            and not plan.chunked
            and not plan.compress
        ):
            return headers, b""  # what encode_request_body does for these, without its checks
        body = encode_request_body(
            hop.method, hop.data, hop.json, self._json_dumps, plan.chunked, headers, plan.compress
        )
        if (
            hop.method in _POST_METHODS
            and "Content-Type" not in headers
            and "content-type" not in self._skipped(skip_auto_headers)
        ):
            headers["Content-Type"] = "application/octet-stream"
        return headers, body

    def _redirect(
        self,
        hop: Hop,
        resp: ClientResponse,
        body: bytes | Any,
        max_redirects: int,
        history: list[ClientResponse],
    ) -> bool:
        """Turn ``hop`` into the request that follows the redirect ``resp`` (aiohttp's rules:
        method, body and credentials); False when ``resp`` is the answer (no Location)."""
        if max_redirects and len(history) >= max_redirects:
            resp.release()
            raise exceptions.TooManyRedirects(history[0].request_info, tuple(history))
        if (resp.status == 303 and hop.method != "HEAD") or (
            resp.status in (301, 302) and hop.method == "POST"
        ):
            hop.method, hop.data, hop.json = "GET", None, None
            hop.headers = without(hop.headers, ("Content-Length",))
            finish_body(body)
        elif not rewind_body(body):
            resp.release()
            raise exceptions.ClientPayloadError(_CONSUMED_BODY)
        location = resp.headers.get("Location") or resp.headers.get("URI")
        if not location:
            return False  # aiohttp returns it, listed in its own history
        resp.release()
        target = redirect_target(hop.url, location, self._requote_redirect_url)
        if target.origin() != hop.url.origin():
            hop.auth = hop.cookies = None
            hop.headers = without(hop.headers, _CREDENTIAL_HEADERS)
        hop.url = target
        return True

    async def _send(self, send: Call, request: Request) -> ClientResponse:
        """One hop over the seam through the client middlewares."""

        async def innermost(req: ClientRequest) -> ClientResponse:
            return await send.exchange(req.wire_request())

        handler = build_client_middlewares(innermost, send.plan.middlewares)
        return await handler(ClientRequest(request, cast("ClientSession", self), request.url))
