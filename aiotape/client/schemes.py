"""What a URL scheme implies for a connection: its default port and whether it uses TLS."""

from __future__ import annotations

__all__ = ["DEFAULT_PORTS", "SECURE_SCHEMES"]

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
SECURE_SCHEMES = frozenset({"https", "wss"})
