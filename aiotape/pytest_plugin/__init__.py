"""aiotape's pytest plugin (entry point ``pytest11``): options, markers and fixtures."""

from .mock_fixture import *  # noqa: F403
from .outcome import *  # noqa: F403
from .plain_imports import *  # noqa: F403
from .recording import *  # noqa: F403
from .summary import *  # noqa: F403
from .verify import *  # noqa: F403
