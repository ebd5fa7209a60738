"""Which proxy a request goes through: the route, and the one explicit settings name.

The session picks a :class:`ProxyRoute` per hop and puts it on the seam ``Request``; the
network transport dials through it (``tunnel.py``), mocks and cassettes ignore it. The
environment's routes (``trust_env``) are in ``proxy_env``, imported by the first such session.
"""

# No ``from __future__ import annotations`` here: ProxyRoute's field types are objects, so
# typing.NamedTuple compiles no ForwardRef per field at import (~0.25M fewer instructions).
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from . import exceptions
from .auth import BasicAuth, strip_auth_from_url

__all__ = ["DIRECT", "ProxyRoute", "explicit_route"]


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
