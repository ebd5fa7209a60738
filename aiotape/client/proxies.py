"""Which proxy a request goes through: explicit settings, or the environment when trusted.

Pure functions over arguments, ``os.environ`` and the netrc file; no sockets. The session
picks a :class:`ProxyRoute` per hop and puts it on the seam ``Request``; the network transport
dials through it (``tunnel.py``), mocks and cassettes ignore it.

Environment rules are aiohttp's (``trust_env=True``): ``HTTP_PROXY`` / ``HTTPS_PROXY`` /
``WS_PROXY`` / ``WSS_PROXY`` (lower case wins, as in ``urllib.request.getproxies``) by the
request's scheme, ``NO_PROXY`` bypasses, https:// proxies from the environment are ignored,
and a proxy without credentials in its URL takes them from netrc (``NETRC`` or ``~/.netrc``)
for the proxy's host. With no ``auth``, the request's own credentials also come from netrc.
"""

# No ``from __future__ import annotations`` here: ProxyRoute's field types are objects, so
# typing.NamedTuple compiles no ForwardRef per field at import (~0.25M fewer instructions).
import asyncio
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from . import exceptions
from .auth import BasicAuth, strip_auth_from_url

if TYPE_CHECKING:
    import netrc

__all__ = [
    "DIRECT",
    "ProxyRoute",
    "env_proxy_for_url",
    "env_route",
    "explicit_route",
    "netrc_auth",
    "netrc_auth_for",
    "netrc_from_env",
]

logger = logging.getLogger("aiotape.client")

_ENV_SCHEMES = ("http", "https", "ws", "wss")


class ProxyRoute(NamedTuple):
    """The proxy one request goes through (``url`` None: direct) and what the proxy is sent.

    ``url`` has no credentials: they are in ``auth``. ``headers`` go on the CONNECT request.
    """

    url: URL | None
    auth: BasicAuth | None = None
    headers: CIMultiDictProxy[str] | None = None


DIRECT = ProxyRoute(None)


def explicit_route(
    proxy: str | URL | None,
    proxy_auth: BasicAuth | None,
    proxy_headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> ProxyRoute | None:
    """The route for ``proxy=`` settings, or None when no proxy was given.

    Credentials in the proxy URL are used unless ``proxy_auth`` is given. Raises
    ``InvalidURL`` for an unparsable or non-absolute proxy URL and ``ValueError`` for a
    proxy that is not ``http://`` (TLS to the proxy itself is not supported).
    """
    if proxy is None:
        return None
    try:
        url = URL(proxy)
    except (TypeError, ValueError) as exc:
        raise exceptions.InvalidURL(proxy) from exc
    if not url.absolute or not url.raw_host:
        raise exceptions.InvalidURL(proxy, "proxy URL must be absolute")
    if url.scheme != "http":
        raise ValueError(f"Only http:// proxies are supported, got {url.scheme}://")
    if proxy_auth is not None and not isinstance(proxy_auth, BasicAuth):
        raise ValueError("proxy_auth must be None or BasicAuth() tuple")
    url, url_auth = strip_auth_from_url(url)
    headers = CIMultiDictProxy(CIMultiDict(proxy_headers)) if proxy_headers else None
    return ProxyRoute(url, proxy_auth or url_auth, headers)


def netrc_from_env() -> "netrc.netrc | None":
    """The netrc file named by ``NETRC``, else ``~/.netrc``; None if absent or unreadable."""
    import netrc  # only with trust_env

    named = os.environ.get("NETRC")
    try:
        path = Path(named) if named is not None else Path.home() / ".netrc"
    except RuntimeError:  # no home directory
        return None
    try:
        return netrc.netrc(str(path))
    except netrc.NetrcParseError as exc:
        logger.warning("Could not parse .netrc file: %s", exc)
    except OSError as exc:
        if named is not None or path.is_file():
            logger.warning("Could not read .netrc file: %s", exc)
    return None


def netrc_auth(entries: "netrc.netrc | None", host: str) -> BasicAuth | None:
    """``host``'s credentials in ``entries`` (login, or account when login is empty)."""
    if entries is None:
        return None
    found = entries.authenticators(host)
    if found is None:
        return None
    login, account, password = found
    return BasicAuth(login or account or "", password or "")


def env_proxy_for_url(url: URL) -> ProxyRoute:
    """The environment's proxy for ``url`` (``DIRECT`` if none or bypassed), reading no files.

    A proxy found without credentials gets ``auth=None`` here; :func:`env_route` fills it in
    from netrc.
    """
    from urllib.request import getproxies, proxy_bypass  # only with trust_env: it is heavy

    host = url.host
    if host is not None and proxy_bypass(host):
        return DIRECT
    value = getproxies().get(url.scheme) if url.scheme in _ENV_SCHEMES else None
    if not value:
        return DIRECT
    try:
        proxy, auth = strip_auth_from_url(URL(value))
    except ValueError:
        return DIRECT
    if proxy.scheme in ("https", "wss"):
        logger.warning("%s proxies %s are not supported, ignoring", proxy.scheme.upper(), proxy)
        return DIRECT
    return ProxyRoute(proxy, auth)


def _with_netrc_auth(route: ProxyRoute) -> ProxyRoute:
    assert route.url is not None
    host = route.url.host
    if route.auth is not None or host is None:
        return route
    return route._replace(auth=netrc_auth(netrc_from_env(), host))


async def env_route(url: URL) -> ProxyRoute:
    """The environment's route for one hop (``trust_env``), with netrc credentials filled in."""
    route = env_proxy_for_url(url)
    if route.url is None or route.auth is not None:
        return route
    return await asyncio.to_thread(_with_netrc_auth, route)


async def netrc_auth_for(url: URL) -> BasicAuth | None:
    """The request's own credentials from netrc (read in a thread), for ``trust_env``."""
    host = url.host
    if host is None:
        return None
    return await asyncio.to_thread(lambda: netrc_auth(netrc_from_env(), host))
