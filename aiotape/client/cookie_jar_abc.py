"""The cookie jar interface a session relies on (aiohttp's ``abc.AbstractCookieJar``) and its
type aliases; ``cookies`` holds the jars."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence, Sized
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeAlias

from yarl import URL

if TYPE_CHECKING:
    from collections.abc import Callable
    from http.cookies import BaseCookie, Morsel, SimpleCookie

__all__ = [
    "NO_URL",
    "AbstractCookieJar",
    "ClearCookiePredicate",
    "CookieKey",
    "JarKey",
    "LooseCookies",
]

LooseCookies: TypeAlias = (
    "Mapping[str, str | Morsel[str]] | Iterable[tuple[str, str | Morsel[str]]] | BaseCookie[str]"
)
"""What ``update_cookies`` accepts: a mapping or pairs of name -> value or Morsel."""

ClearCookiePredicate: TypeAlias = "Callable[[Morsel[str]], bool]"

JarKey: TypeAlias = tuple[str, str]
"""Where a jar keeps cookies: ``(domain, path)``."""
CookieKey: TypeAlias = tuple[str, str, str]
"""One cookie: ``(domain, path, name)``."""

NO_URL = URL()
"""The response URL of cookies set by hand: they are shared by every host."""


class AbstractCookieJar(Sized, Iterable["Morsel[str]"], ABC):
    """What a session needs from a cookie jar (aiohttp's ``abc.AbstractCookieJar``)."""

    @property
    @abstractmethod
    def unsafe(self) -> bool:
        """Whether cookies are accepted from and sent to IP-address hosts."""

    @property
    @abstractmethod
    def quote_cookie(self) -> bool:
        """Whether values are sent quoted when they need it."""

    @property
    def treat_as_secure_origin(self) -> frozenset[URL]:
        """Origins that get Secure cookies even over plain http."""
        return frozenset()

    @property
    @abstractmethod
    def cookies(self) -> MappingProxyType[JarKey, SimpleCookie]:
        """Stored cookies by ``(domain, path)`` (read-only view)."""

    @property
    @abstractmethod
    def host_only_cookies(self) -> frozenset[CookieKey]:
        """``(domain, path, name)`` of cookies sent to their exact host only."""

    @abstractmethod
    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Remove every cookie, or those ``predicate`` selects."""

    @abstractmethod
    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of ``domain`` and its subdomains."""

    @abstractmethod
    def update_cookies(self, cookies: LooseCookies, response_url: URL = NO_URL) -> None:
        """Store cookies as if set by a response from ``response_url``."""

    @abstractmethod
    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        """Store the cookies of a response's Set-Cookie header values."""

    @abstractmethod
    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """The cookies to send with a request to ``request_url``."""
