"""aiohttp's ``payload`` module path: ``from aiotape.payload import BytesPayload, get_payload``."""

from .client.payload_types import *  # noqa: F403 - the module's names, as aiohttp.payload's
from .client.payload_types import __all__ as __all__
