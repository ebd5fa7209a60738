"""aiotape's pytest plugin (entry point ``pytest11``): options, markers and fixtures."""

from typing import TYPE_CHECKING

# isort: off
from .plain_imports import *  # noqa: F403  (first: the other modules then load as plain bytecode)

# isort: on
from .mock_fixture import *  # noqa: F403
from .outcome import *  # noqa: F403
from .recording import *  # noqa: F403
from .summary import *  # noqa: F403
from .verify import *  # noqa: F403

if TYPE_CHECKING:
    from .socket_guard import NetworkBlockedError as NetworkBlockedError


def __getattr__(name: str) -> object:
    """``NetworkBlockedError``, from the guard module only ``--block-network`` loads."""
    if name == "NetworkBlockedError":
        from .socket_guard import NetworkBlockedError

        return NetworkBlockedError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
