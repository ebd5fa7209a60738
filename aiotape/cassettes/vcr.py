"""``VCR``: vcrpy's entry object over aiotape cassettes: defaults, matchers, serializers.

``my_vcr = VCR(cassette_library_dir="tests/cassettes", match_on=["method", "uri"])``, then
``with my_vcr.use_cassette("x.yaml"):``. The pytest plugin hands one to the
``pytest_recording_configure(config, vcr)`` hook, so conftest files can register matchers
and serializers as they do for pytest-recording.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, Any

from .cassette import Cassette
from .matching import CustomMatcher
from .vcr_config import ensure_suffix

if TYPE_CHECKING:
    from .vcr_config import Serializer

__all__ = ["VCR"]


class VCR:
    """Cassette defaults plus the matchers and serializers registered by name."""

    ensure_suffix = staticmethod(ensure_suffix)

    def __init__(self, **defaults: Any) -> None:
        self.defaults = defaults
        self.matchers: dict[str, CustomMatcher] = {}
        self.serializers: dict[str, Serializer] = {}

    def register_matcher(self, name: str, matcher: CustomMatcher) -> None:
        """Make ``matcher(r1, r2)`` usable by name in ``match_on``."""
        self.matchers[name] = matcher

    def register_serializer(self, name: str, serializer: Serializer) -> None:
        """Make ``serializer`` (``serialize``/``deserialize``) usable by name."""
        self.serializers[name] = serializer

    def register_persister(self, persister: object) -> None:
        """Accepted for vcrpy compatibility; cassettes are always files here."""
        warnings.warn(
            "aiotape ignores register_persister: cassettes are files", UserWarning, stacklevel=2
        )

    def use_cassette(self, path: str | os.PathLike[str] | None = None, **options: Any) -> Cassette:
        """A Cassette for ``path`` with these defaults, overridden by ``options``."""
        merged = {**self.defaults, **options} if self.defaults else options
        return Cassette(path, matchers=self.matchers, serializers=self.serializers, **merged)
