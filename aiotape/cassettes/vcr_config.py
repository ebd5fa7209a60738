"""vcrpy's option names: which ones a Cassette implements, and the rest, named in a warning.

Every keyword of ``vcr.VCR()`` and ``use_cassette`` is accepted. Options that mean nothing
for aiotape (``custom_patches``: aiotape patches nothing) or that it does not implement are
ignored with a warning naming them; only a name vcrpy does not know is a TypeError.
Also here: cassette serializers (``yaml``, ``json`` and registered ones, vcrpy's interface:
``serialize(dict) -> str``, ``deserialize(str) -> dict``) and the cassette path rules.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Protocol

    class Serializer(Protocol):
        """vcrpy's serializer interface (a module or an object with these two functions):
        for type checkers only (a runtime Protocol class costs ~0.15M instructions to build)."""

        def serialize(self, cassette_dict: dict[str, Any]) -> str:
            """The file text for ``{"interactions": [...], "version": 1}``."""
            ...

        def deserialize(self, cassette_string: str) -> Any:
            """The dict ``serialize`` was given."""
            ...


__all__ = [
    "IGNORED_OPTIONS",
    "VCR_OPTIONS",
    "JsonSerializer",
    "PathTransformer",
    "VcrExtras",
    "cassette_path",
    "ensure_suffix",
]

PathTransformer = Callable[[str], str]

IGNORED_OPTIONS: dict[str, str] = {
    "custom_patches": "aiotape patches no library: every aiotape session uses the cassette",
    "skip_patchers": "aiotape patches no library",
    "inject_cassette": "use the `vcr` fixture or the Cassette `use_cassette` returns",
    "persister": "cassettes are files (see `serializer` and `path_transformer`)",
    "func_path_generator": "give the cassette path (or use the pytest plugin's default)",
    "filter_nested_post_data_parameters": "not implemented by aiotape",
    "filter_sensitive_data": "not implemented by aiotape; use filter_* or before_record_*",
    "before_save_interaction": "not implemented by aiotape; use before_record_*",
    "after_load_interaction": "not implemented by aiotape",
}
"""vcrpy options a Cassette ignores, and why (the warning says it)."""

_EXTRAS = frozenset(
    {"before_record", "additional_matchers", "path_transformer", "cassette_library_dir"}
)

VCR_OPTIONS = frozenset(
    {
        "path",
        "record_mode",
        "match_on",
        "allow_playback_repeats",
        "filter_headers",
        "filter_query_parameters",
        "filter_post_data_parameters",
        "before_record_request",
        "before_record_response",
        "ignore_hosts",
        "ignore_localhost",
        "serializer",
        "decode_compressed_response",
        "record_on_exception",
        "drop_unused_requests",
        *_EXTRAS,
        *IGNORED_OPTIONS,
    }
)
"""Every option name of ``vcr.VCR()`` and ``VCR.use_cassette`` (vcrpy 9)."""


class JsonSerializer:
    """vcrpy's ``json`` serializer: indented JSON; binary bodies cannot be written."""

    @staticmethod
    def serialize(cassette_dict: dict[str, Any]) -> str:
        """Indented JSON, as vcrpy writes it."""
        try:
            return json.dumps(cassette_dict, indent=4) + "\n"
        except TypeError:
            raise TypeError(
                "a body or header in this cassette is binary, which JSON cannot hold: "
                "use the yaml serializer for it"
            ) from None

    @staticmethod
    def deserialize(cassette_string: str) -> Any:
        """The cassette dict."""
        return json.loads(cassette_string)


def ensure_suffix(suffix: str) -> PathTransformer:
    """vcrpy's ``VCR.ensure_suffix``: a transformer adding ``suffix`` unless already there."""

    def ensure(path: str) -> str:
        path = os.fspath(path)
        return path if path.endswith(suffix) else path + suffix

    return ensure


class VcrExtras:
    """The vcrpy options a Cassette maps onto its own keywords (or ignores, with a warning)."""

    __slots__ = ("additional_matchers", "before_record", "cassette_library_dir", "path_transformer")

    def __init__(
        self,
        before_record: Any = None,
        additional_matchers: Sequence[Any] = (),
        path_transformer: PathTransformer | None = None,
        cassette_library_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.before_record = before_record
        self.additional_matchers = additional_matchers
        self.path_transformer = path_transformer
        self.cassette_library_dir = cassette_library_dir

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> VcrExtras:
        """Keep the extras, warn about ignored vcrpy options, refuse unknown names."""
        if not options:
            return _NO_EXTRAS
        if options.keys() <= _EXTRAS:  # the usual case (the pytest plugin's options)
            return cls(**options)
        unknown = sorted(set(options) - VCR_OPTIONS)
        if unknown:
            raise TypeError(f"unexpected cassette option(s) {', '.join(map(repr, unknown))}")
        for name in sorted(set(options) & set(IGNORED_OPTIONS)):
            warnings.warn(
                f"aiotape ignores the vcrpy option {name!r}: {IGNORED_OPTIONS[name]}",
                UserWarning,
                stacklevel=4,
            )
        return cls(**{k: v for k, v in options.items() if k in _EXTRAS})

    def path(self, path: str | os.PathLike[str]) -> str:
        """vcrpy's rule: ``path_transformer`` first, then ``cassette_library_dir`` in front."""
        if self is _NO_EXTRAS:  # the usual case: the path as given
            return path if type(path) is str else os.fspath(path)
        return cassette_path(path, self.path_transformer, self.cassette_library_dir)


_NO_EXTRAS = VcrExtras()


def cassette_path(
    path: str | os.PathLike[str],
    path_transformer: PathTransformer | None,
    cassette_library_dir: str | os.PathLike[str] | None,
) -> str:
    """vcrpy's rule: ``path_transformer`` first, then ``cassette_library_dir`` in front."""
    result = os.fspath(path)
    if path_transformer is not None:
        result = path_transformer(result)
    if cassette_library_dir:
        library = os.fspath(cassette_library_dir)
        if not result.startswith(library):
            result = _join(library, result)
    return result


_POSIX = os.sep == "/" and os.altsep is None


def _join(folder: str, name: str) -> str:
    """``os.path.join(folder, name)`` of a non-empty folder, without its generality for a
    relative POSIX name (the usual case)."""
    if _POSIX and name[:1] != "/":
        return folder + name if folder[-1:] == "/" else folder + "/" + name
    return os.path.join(folder, name)
