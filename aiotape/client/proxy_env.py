"""The environment's proxy routes and netrc credentials (aiohttp's ``trust_env=True``), imported
by the first session that trusts the environment.

Pure functions over arguments, ``os.environ`` and the netrc file; no sockets. Rules are
aiohttp's: ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``WS_PROXY`` / ``WSS_PROXY`` (lower case wins, as
in ``urllib.request.getproxies``) by the request's scheme, ``NO_PROXY`` bypasses, https:// proxies
from the environment are ignored, and a proxy without credentials in its URL takes them from
netrc (``NETRC`` or ``~/.netrc``) for the proxy's host. With no ``auth``, the request's own
credentials also come from netrc.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from yarl import URL

from .auth import BasicAuth, strip_auth_from_url
from .proxies import DIRECT, ProxyRoute

if TYPE_CHECKING:
    import netrc

__all__ = ["env_proxy_for_url", "env_route", "netrc_auth", "netrc_auth_for", "netrc_from_env"]

logger = logging.getLogger("aiotape.client")

_ENV_SCHEMES = ("http", "https", "ws", "wss")


def netrc_from_env() -> netrc.netrc | None:
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


def netrc_auth(entries: netrc.netrc | None, host: str) -> BasicAuth | None:
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
