"""A served test's cassette, step by step: its options and file (pytest-recording's rules),
opening it, and at teardown noting its use and failing the test for unmatched requests.

Imported by the first cassette a run enters (it imports the cassettes).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

import pytest

from ..cassettes.cassette import Cassette
from ..cassettes.errors import CassetteError, CassetteFormatError
from ..cassettes.vcr_config import cassette_path
from .facts import Marks, Place, Settings
from .recording import (
    default_name,
    fixture_request,
    merged_config,
    overrides,
    own_or_overridden,
    record_mode,
)
from .summary import note_cassette

if TYPE_CHECKING:
    from ..cassettes.vcr import VCR

__all__ = ["cassette_steps"]


def cassette_steps(
    item: pytest.Item, settings: Settings, marks: Marks
) -> Iterator[Cassette | None]:
    """The cassette of ``vcr``-marked ``item``: yields it (or None), then tears it down."""
    place = Place.of(item)
    overridden = overrides(item, place)
    options: dict[str, Any] | None = None
    if overridden or marks.vcr_arguments or settings.hooked or settings.verifying:
        path, options, registry = _configured(item, settings, marks, place, overridden)
        if settings.verifying:  # --verify-cassettes: run live, compare, never write
            from .verify_run import verify_cassette

            yield from verify_cassette(item, path, options)
            return
        options.pop("verify_ignore", None)
    else:  # the usual case: the plugin's own fixtures, markers without arguments
        name = default_name(item, place, marks.default_cassette)
        path = cassette_path(_fit_file_name(name), settings.ensure_suffix(".yaml"), place.directory)
    try:
        if options is None:
            shared = marks.default_cassette is not None
            cassette = Cassette.for_test(path, settings.mode, item.nodeid, shared)
        else:
            cassette = registry.use_cassette(path, **options)
    except (CassetteError, LookupError, ValueError) as exc:
        if not settings.beside:
            if isinstance(exc, CassetteFormatError):  # one line: file, interaction and field
                raise pytest.fail.Exception(str(exc), pytrace=False) from None
            raise
        from ..client.transport import use_transport
        from .vcr_beside import Unusable

        with use_transport(Unusable(exc)):  # only aiotape's requests see the error
            yield None
        return
    with cassette:
        yield cassette
    if not cassette.saw_traffic:
        return
    outcomes = settings.outcomes
    passed = not cassette.unmatched and item.nodeid not in outcomes.not_passed
    note_cassette(settings.log, item, cassette, passed)
    if cassette.unmatched and item.nodeid not in outcomes.call_failed:
        shown = "\n\n".join(str(error) for error in cassette.unmatched)
        count = len(cassette.unmatched)
        pytest.fail(
            f"{count} {'request' if count == 1 else 'requests'} did not match the cassette:"
            f"\n{shown}"
        )


def _configured(
    item: pytest.Item, settings: Settings, marks: Marks, place: Place, overridden: AbstractSet[str]
) -> tuple[str, dict[str, Any], VCR]:
    """The cassette file, keywords and registry of a test whose fixtures, markers or
    conftest hooks configure its cassette (pytest-recording's rules)."""
    from ..cassettes.vcr import VCR

    directory = os.fspath(own_or_overridden(item, overridden, "vcr_cassette_dir", place.directory))
    options = _cassette_options(item, settings, marks, overridden)
    options["extra_paths"] = [os.path.join(directory, p) for mark in marks.vcr for p in mark.args]
    registry = VCR()
    if settings.hooked:
        item.config.hook.pytest_recording_configure(config=item.config, vcr=registry)
    if "default_cassette_name" in overridden:
        name = fixture_request(item).getfixturevalue("default_cassette_name")
    else:
        name = default_name(item, place, marks.default_cassette)
    path = cassette_path(
        _fit_file_name(name),
        options.pop("path_transformer"),
        options.pop("cassette_library_dir", directory),
    )
    return path, options, registry


def _cassette_options(
    item: pytest.Item, settings: Settings, marks: Marks, overridden: AbstractSet[str]
) -> dict[str, Any]:
    """Cassette keywords for the test, as pytest-recording builds them for vcrpy (but for
    ``extra_paths``; ``cassette_library_dir`` only if ``vcr_config`` sets it).
    """
    if marks.vcr_options or "vcr_config" in overridden:
        options = merged_config(own_or_overridden(item, overridden, "vcr_config", None), marks.vcr)
        options.pop("allowed_hosts", None)
        options["record_mode"] = record_mode(settings, options)
        if "path_transformer" not in options:
            serializer = options.get("serializer", "yaml")
            suffix = f".{serializer}" if isinstance(serializer, str) else ".yaml"
            options["path_transformer"] = settings.ensure_suffix(suffix)
    else:  # the plugin's own empty vcr_config, markers without options
        options = settings.plain_options()
    options["test_id"] = item.nodeid
    options["shared"] = marks.default_cassette is not None
    return options


def _fit_file_name(name: str, limit: int = 255 - len(".yaml")) -> str:
    """``name``, or for names too long for a file (parametrized tests) a prefix and a hash."""
    if len(name) <= limit:
        return name
    import hashlib  # only for such names: a replaying run need not load it

    digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()
    return f"{name[: limit - len(digest) - 3]}...{digest}"
