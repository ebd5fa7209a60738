"""Record real HTTP traffic to vcrpy-compatible YAML cassettes and replay it offline.

``with use_cassette("tests/cassettes/x.yaml", record_mode="once"):`` routes every
``ClientSession`` through the cassette (see :class:`Cassette`); the pytest plugin does the
same for tests marked ``@pytest.mark.vcr``.
"""

import importlib
from typing import TYPE_CHECKING, Any

from .cassette import Cassette, CassetteTransport, load_cassette, use_cassette
from .errors import (
    CassetteError,
    CassetteFormatError,
    UnmatchedRequestError,
    WebSocketMismatchError,
)
from .filters import DEFAULT_REDACTED_HEADERS, REDACTED
from .matching import DEFAULT_MATCH_ON, MATCHERS
from .model import (
    Interaction,
    RecordedError,
    RecordedRequest,
    RecordedResponse,
    RecordedWebSocket,
    WSFrame,
)

if TYPE_CHECKING:
    from .format import dumps, loads
    from .record_mode import RecordMode
    from .vcr import VCR

__all__ = [
    "DEFAULT_MATCH_ON",
    "DEFAULT_REDACTED_HEADERS",
    "MATCHERS",
    "REDACTED",
    "VCR",
    "Cassette",
    "CassetteError",
    "CassetteFormatError",
    "CassetteTransport",
    "Interaction",
    "RecordMode",
    "RecordedError",
    "RecordedRequest",
    "RecordedResponse",
    "RecordedWebSocket",
    "UnmatchedRequestError",
    "WSFrame",
    "WebSocketMismatchError",
    "dumps",
    "load_cassette",
    "loads",
    "use_cassette",
]


def __getattr__(name: str) -> Any:
    """``dumps`` and ``loads``, imported on first use (replaying from the cache needs no YAML),
    ``VCR`` (a test that configures nothing has its cassette without one) and ``RecordMode``
    (a cassette holds its mode as the mode's value)."""
    if name in ("dumps", "loads"):
        return getattr(importlib.import_module(".format", __name__), name)
    if name == "VCR":
        from .vcr import VCR

        return VCR
    if name == "RecordMode":
        from .record_mode import RecordMode

        return RecordMode
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
