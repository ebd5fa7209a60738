"""``--block-network``'s guard: the one place aiotape patches anything, ``socket.socket``'s
``connect``/``connect_ex``, while a test runs (pytest-recording does the same)."""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["NetworkBlockedError", "blocked"]


class NetworkBlockedError(RuntimeError):
    """A test tried to open a network connection while ``--block-network`` is on."""

    __module__ = "aiotape.pytest_plugin"  # where it is imported from (and named in reports)


_Connect = Callable[[socket.socket, Any], Any]


def _guarded(original: _Connect, allowed: re.Pattern[str] | None) -> _Connect:
    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0])
            if allowed is None or not allowed.match(host):
                raise NetworkBlockedError(
                    f"Network is disabled (--block-network): connection to {host!r} refused. "
                    "To record this test's traffic, add @pytest.mark.vcr to it and run it "
                    "once with --record-mode=once; or allow the host with --allowed-hosts."
                )
        return original(sock, address)

    return connect


@contextlib.contextmanager
def blocked(allowed: re.Pattern[str] | None) -> Iterator[None]:
    """Refuse socket connections to hosts ``allowed`` does not match (None: to every host)."""
    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex
    guard, guard_ex = _guarded(original_connect, allowed), _guarded(original_connect_ex, allowed)
    socket.socket.connect = guard  # type: ignore[assignment]
    socket.socket.connect_ex = guard_ex  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
