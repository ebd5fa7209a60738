"""The request pipeline of ClientSession: a call's hops over the seam, redirects
(aiohttp's rules for method, body and credentials), cookies from answers and status checks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from multidict import CIMultiDict, istr
from yarl import URL

from . import exceptions
from .auth import BasicAuth
from .prepare import (
    BODYLESS_METHODS,
    CREDENTIAL_HEADERS,
    UNSET,
    becomes_get,
    check_method,
    check_scheme,
    check_status,
    encode_request_body,
    redirect_location,
    redirect_target,
    resolve_timeout,
    without,
)
from .proxies import DIRECT
from .request_builder import RequestBuilder
from .request_context import ResponseContextManager
from .request_plan import OPTION_DEFAULTS, Call, Hop, Plan, check_options, request_limits
from .response import ClientResponse, HttpVersion, HttpVersion11
from .session_options import CharsetResolver, Limits, version_headers, with_expect_continue
from .timeouts import ClientTimeout
from .transport import (
    Request,
    _overrides,
    active_transport,
    close_body,
    finish_body,
    rewind_body,
)

if TYPE_CHECKING:
    from .middlewares import ClientMiddlewareType
    from .options import RaiseForStatus, RequestOptions
    from .request_info import SSLSetting
    from .session import ClientSession
    from .tracing import TraceConfig

__all__ = ["RequestPipeline"]

_POST_METHODS = frozenset({"PATCH", "POST", "PUT"})
_CONSUMED_BODY = (
    "Cannot follow redirect with a consumed request body. "
    "Use bytes, a seekable file-like object, or set allow_redirects=False."
)
_HOP_OPTIONS = frozenset(
    {"params", "data", "json", "cookies", "headers", "auth", "expect100", "trace_request_ctx"}
)
"""Request options that change what a call's hops send, not the plan they follow."""
_SSL_OPTIONS = itemgetter("ssl", "verify_ssl", "ssl_context", "fingerprint")
_SET_COOKIE = istr("Set-Cookie")  # an istr: looked up without lower-casing it each time
_SESSION_PLANS: dict[tuple[Any, ...], Plan] = {}
"""Plans of calls without options, by the settings of the sessions (without middlewares or a
proxy, with a plain ``raise_for_status``) they were made for."""
_SESSION_PLANS_KEPT = 64
_new_object = object.__new__


class RequestPipeline(RequestBuilder):
    """Requests of a ClientSession, hop by hop (a base of ClientSession, which sets the
    attributes declared here)."""

    _loop: asyncio.AbstractEventLoop | None
    _limits: Limits
    _timeout: ClientTimeout
    _trace_configs: list[TraceConfig]
    _middlewares: Sequence[ClientMiddlewareType]
    _auto_decompress: bool
    _read_bufsize: int
    _response_class: type[ClientResponse] = ClientResponse
    _resolve_charset: CharsetResolver
    _version: HttpVersion
    _trust_env: bool
    _json_dumps: Callable[[Any], Any]
    _raise_for_status: RaiseForStatus
    _requote_redirect_url: bool
    _context: type[ResponseContextManager]
    # Class-level until set (a ClientSession keeps its attributes few enough for Python to
    # share their keys across instances: at most 30).
    _default_plan: Plan | None = None

    def _open(
        self, method: str, str_or_url: str | URL, options: RequestOptions
    ) -> ResponseContextManager:
        """What the verbs return: the request's coroutine in its context manager (``TypeError``
        now for a keyword requests do not take)."""
        if options:
            check_options(options)
        context = _new_object(self._context)
        context._coro = self._perform(method, str_or_url, options, context)
        context._resp = None
        context._entered = False
        return context

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
        """The request's response (handed to ``context`` too). A call without options that
        ``_plain_request`` knows what to send for takes the plain path: one hop, the rest of
        the general path only for a redirect to follow."""
        call = None if options else self._plain_request(method, str_or_url)
        if call is None:
            first, hop = self._plan(method, str_or_url, options)
            resp = await self._hops(first, hop, None)
        else:  # what the general path does for this request, without its steps that do nothing
            info, url_text = call
            plan = self._default_plan or self._session_plan()
            loop = self._loop or asyncio.get_running_loop()
            started = loop.time()
            request = plan.request(
                info.method,
                info.real_url,
                info.headers,
                started,
                plan.route or DIRECT,
                loop,
                url_text,
            )
            transport = _overrides[-1](self._transport) if _overrides else self._transport
            wire = await transport.handle(request)
            if plan.plain_response:  # plan.response(request, wire, info), without its frame
                resp = _new_object(ClientResponse)
                resp._begin(wire, info, plan.auto_decompress, plan.read_bufsize)
            else:
                resp = plan.response(request, wire, info)
            if _SET_COOKIE in resp.headers:
                self._store_cookies(resp.headers, info.real_url)
            if resp.status in plan.redirects:
                # The auth the first hop sent: the session's, if its base_url lets it.
                url = info.real_url
                hop = Hop(info.method, url, None, None, None, self._auth_for(url), None)
                resp = await self._hops(Call(plan, transport, loop, started, None), hop, resp)
            elif plan.raise_for_status is not False:
                await check_status(plan.raise_for_status, resp)
        if context is not None:  # inside ``async with``, the response is entered
            context._resp = resp
            if context._entered:
                resp._in_context = True
        return resp

    async def _hops(self, call: Call, hop: Hop, resp: ClientResponse | None) -> ClientResponse:
        """The response a request ends with: ``hop`` is sent (unless ``resp`` is its answer
        already), then each redirect followed, the final status checked."""
        plan, trace = call.plan, call.trace
        if trace is not None:  # tracing hook: request start
            hop.headers = await trace.send_request_start(
                hop.method, hop.url, self._default_headers, hop.headers
            )
        history: list[ClientResponse] = []
        body: bytes | Any = b""
        try:
            while True:
                if resp is None:
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
                    self._store_cookies(resp.headers, hop.url)
                if resp.status not in plan.redirects:
                    break
                if trace is not None:  # tracing hook: redirect
                    await trace.send_request_redirect(hop.method, hop.url, hop.headers, resp)
                history.append(resp)
                if not self._redirect(hop, resp, body, plan.max_redirects, history):
                    break
                resp = None
            if not isinstance(body, bytes):
                finish_body(body)
            if history:  # as aiohttp: on the final response only
                resp._history = tuple(history)
            if plan.raise_for_status is not False:
                await check_status(plan.raise_for_status, resp)
        except BaseException as exc:
            await close_body(body)
            if trace is not None:  # tracing hook: request exception
                await trace.send_request_exception(hop.method, hop.url, hop.headers, exc)
            raise
        if trace is not None:  # tracing hook: request end
            await trace.send_request_end(hop.method, hop.url, hop.headers, resp)
        return resp

    def _plan(
        self, method: str, str_or_url: str | URL, options: RequestOptions
    ) -> tuple[Call, Hop]:
        """The request (its plan: the call's options, else the session's settings) and its
        first hop."""
        if not options:  # the session's plan, made once; no option merges or checks
            plan = self._default_plan or self._session_plan()
            url = self._target_url(str_or_url, None)
            method = check_method(method)
            return self._call(plan, None), Hop(method, url, None, None, None, None, None)
        timeout_option = options.get("timeout", UNSET)
        hop_only = options.keys() <= _HOP_OPTIONS
        options = {**OPTION_DEFAULTS, **options}
        headers = options["headers"]
        if options["expect100"]:
            headers = with_expect_continue(headers)
        url = self._target_url(str_or_url, options["params"])
        if hop_only:  # what the hops send differs, not how: the session's plan
            plan = self._default_plan or self._session_plan()
        else:
            from .fingerprint import merge_ssl_params  # loaded by the first call with options

            plan = self._make_plan(
                options,
                resolve_timeout(timeout_option, self._timeout),
                merge_ssl_params(*_SSL_OPTIONS(options)),
            )
        method = check_method(method)
        return self._call(plan, options["trace_request_ctx"]), Hop.first(
            method, url, headers, options
        )

    def _session_plan(self) -> Plan:
        """The plan of calls without options (made by the first of them, or shared with the
        sessions of the same settings: a plan is never changed once made)."""
        raise_for_status = self._raise_for_status
        if self._middlewares or type(raise_for_status) is not bool or self._proxy is not None:
            plan = self._default_plan = self._make_plan(OPTION_DEFAULTS, self._timeout, True)
            return plan
        key = (
            self._auto_decompress,
            self._read_bufsize,
            self._response_class,
            id(self._resolve_charset),  # ids of what the plan holds: unique while it is kept
            id(self._timeout),
            self._version,
            raise_for_status,
        )
        shared = _SESSION_PLANS.get(key)
        if shared is None:
            plan = self._make_plan(OPTION_DEFAULTS, self._timeout, True)
            if len(_SESSION_PLANS) >= _SESSION_PLANS_KEPT:
                _SESSION_PLANS.clear()
            _SESSION_PLANS[key] = plan
        else:
            plan = shared
        self._default_plan = plan
        return plan

    def _make_plan(self, options: RequestOptions, timeout: ClientTimeout, ssl: SSLSetting) -> Plan:
        middlewares = options["middlewares"]
        auto_decompress = options["auto_decompress"]
        read_bufsize = options["read_bufsize"]
        raise_for_status = options["raise_for_status"]
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
            self._raise_for_status if raise_for_status is None else raise_for_status,
        )

    def _call(self, plan: Plan, trace_request_ctx: Any) -> Call:
        """A request following ``plan`` that starts now (through the current transport)."""
        # The session's loop: on 3.11 each get_running_loop() costs a getpid() system call.
        loop = self._loop or asyncio.get_running_loop()
        started = loop.time()
        transport = active_transport(self._transport)
        trace = None
        if self._trace_configs:
            from .request_trace import RequestTrace  # imported only by sessions that trace

            trace = RequestTrace(self, self._trace_configs, trace_request_ctx)
            transport = trace.transport(transport)
        return Call(plan, transport, loop, started, trace)

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
            and hop.method in BODYLESS_METHODS
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
        if becomes_get(resp.status, hop.method):
            hop.method, hop.data, hop.json = "GET", None, None
            hop.headers = without(hop.headers, ("Content-Length",))
            finish_body(body)
        elif not rewind_body(body):
            resp.release()
            raise exceptions.ClientPayloadError(_CONSUMED_BODY)
        location = redirect_location(resp.headers)
        if not location:
            return False  # aiohttp returns it, listed in its own history
        resp.release()
        target = redirect_target(hop.url, location, self._requote_redirect_url)
        if target.origin() != hop.url.origin():
            hop.auth = hop.cookies = None
            hop.headers = without(hop.headers, CREDENTIAL_HEADERS)
        hop.url = target
        return True

    async def _send(self, send: Call, request: Request) -> ClientResponse:
        """One hop over the seam through the client middlewares."""
        from .middlewares import ClientRequest, build_client_middlewares  # first middleware hop

        async def innermost(req: ClientRequest) -> ClientResponse:
            return await send.exchange(req.wire_request())

        handler = build_client_middlewares(innermost, send.plan.middlewares)
        return await handler(ClientRequest(request, cast("ClientSession", self), request.url))
