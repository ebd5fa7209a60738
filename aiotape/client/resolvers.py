"""DNS resolvers with aiohttp's interface, for ``TCPConnector(resolver=...)``.

A resolver's ``resolve(host, port, family)`` returns :class:`ResolveResult` dicts, so a
resolver written for aiohttp (one that pins a host name to a test server, say) works here
unchanged. The connector caches what it returns (``ttl_dns_cache``).
"""

from __future__ import annotations

import asyncio
import socket
from abc import ABC, abstractmethod
from importlib.util import find_spec
from typing import Any, TypedDict

__all__ = [
    "AbstractResolver",
    "AsyncResolver",
    "DefaultResolver",
    "ResolveResult",
    "ThreadedResolver",
]

_NUMERIC_FLAGS = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV


class ResolveResult(TypedDict):
    """One address of a host: what ``resolve`` returns a list of (aiohttp's fields)."""

    hostname: str
    host: str
    port: int
    family: int
    proto: int
    flags: int


class AbstractResolver(ABC):
    """A DNS resolver (aiohttp's ``AbstractResolver`` interface)."""

    @abstractmethod
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of ``host``; raises ``OSError`` (``socket.gaierror``) on failure."""

    @abstractmethod
    async def close(self) -> None:
        """Release the resolver."""


class ThreadedResolver(AbstractResolver):
    """The system resolver: ``loop.getaddrinfo``, run in the loop's default executor."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The stream-socket addresses ``getaddrinfo`` gives for ``host:port``."""
        loop = self._loop or asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, family=family, flags=socket.AI_ADDRCONFIG
        )
        return [
            ResolveResult(
                hostname=host,
                host=str(address[0]),
                port=int(address[1]),
                family=info_family,
                proto=proto,
                flags=_NUMERIC_FLAGS,
            )
            for info_family, _, proto, _, address in infos
            if info_family in (socket.AF_INET, socket.AF_INET6)
        ]

    async def close(self) -> None:
        """Nothing to release."""


class AsyncResolver(ThreadedResolver):
    """aiohttp's aiodns resolver, by name.

    Without the ``aiodns`` package it refuses with aiohttp's ``RuntimeError``. With it,
    aiotape still resolves through ``getaddrinfo`` (aiodns is never imported): the
    answers are the system resolver's, which honours ``/etc/hosts`` as c-ares does.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if find_spec("aiodns") is None:
            raise RuntimeError("Resolver requires aiodns library")
        super().__init__(kwargs.get("loop"))


DefaultResolver = ThreadedResolver
"""The resolver a TCPConnector uses when given none (aiohttp's name)."""
