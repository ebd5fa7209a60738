"""The life of an HTTP/1.1 connection: its states and the moves between them."""

from __future__ import annotations

import enum

__all__ = ["MOVES", "ConnectionState"]


class ConnectionState(enum.Enum):
    """Where a connection is in its life; ``HTTP11Connection._enter`` is the one place it moves.

    IDLE -> SENDING (a streamed request body) or RECEIVING (the request written at once);
    SENDING -> RECEIVING once the last byte is written; RECEIVING -> IDLE when a keep-alive
    response completes. Any state -> CLOSED, which is final. A response that completes while
    still SENDING (the server answered before reading everything) closes the connection.
    """

    # Members are singletons: hashing by identity keeps ``_enter``'s table lookups off
    # Enum's Python-level ``__hash__`` (a measurable share of the per-request hot path).
    __hash__ = object.__hash__

    IDLE = "idle"
    """Open with no exchange: may carry the next request."""
    SENDING = "sending"
    """An exchange whose request is not fully written (its response may be arriving)."""
    RECEIVING = "receiving"
    """The request is written; its response is due or arriving."""
    CLOSED = "closed"
    """Closed or closing: never used again."""


MOVES: dict[ConnectionState, frozenset[ConnectionState]] = {
    ConnectionState.IDLE: frozenset(
        {ConnectionState.SENDING, ConnectionState.RECEIVING, ConnectionState.CLOSED}
    ),
    ConnectionState.SENDING: frozenset({ConnectionState.RECEIVING, ConnectionState.CLOSED}),
    ConnectionState.RECEIVING: frozenset({ConnectionState.IDLE, ConnectionState.CLOSED}),
    ConnectionState.CLOSED: frozenset({ConnectionState.CLOSED}),
}
"""The states each state may move to."""
