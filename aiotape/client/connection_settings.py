"""The read settings of an HTTP/1.1 connection, apart from its states: a NetworkTransport
holds them from the start, before any connection (or the HTTP/1.1 machinery) exists."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["ConnectionSettings"]


class ConnectionSettings(NamedTuple):
    """Parser limits and read buffering of a connection: reading pauses while more than
    4 x ``read_bufsize`` body bytes wait for the reader and resumes at ``read_bufsize``."""

    read_bufsize: int = 2**16
    max_line_size: int = 8190
    max_field_size: int = 8190
    max_headers: int = 128
