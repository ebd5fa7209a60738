"""aiotape's pytest plugin (entry point ``pytest11``): options, markers and fixtures."""

# isort: off
from .plain_imports import *  # noqa: F403  (first: the other modules then load as plain bytecode)

# isort: on
from .mock_fixture import *  # noqa: F403
from .outcome import *  # noqa: F403
from .recording import *  # noqa: F403
from .summary import *  # noqa: F403
from .verify import *  # noqa: F403
