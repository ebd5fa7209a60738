"""What the recording plugin reads about a run (once, kept in the config's stash), about a
module or class (once, kept in its node's stash) and about a test (its markers)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

from .outcome import Outcomes, outcomes_of
from .summary import RunLog, run_log
from .verify import verifying

if TYPE_CHECKING:
    from _pytest.nodes import Node

    from ..cassettes.vcr_config import PathTransformer

__all__ = [
    "Marks",
    "Place",
    "Settings",
    "cassette_dir",
    "has_marker",
    "option",
    "pytest_recording_registered",
]

_PYTEST_RECORDING = ("recording", "pytest_recording.plugin")
_SETTINGS: pytest.StashKey[Settings] = pytest.StashKey()
_PLACE: pytest.StashKey[Place] = pytest.StashKey()
_READ = frozenset({"vcr", "default_cassette", "block_network", "xfail"})
"""The markers :class:`Marks` reads."""


def pytest_recording_registered(pluginmanager: pytest.PytestPluginManager) -> bool:
    """Whether pytest-recording is registered (once pytest is configured: whether it runs)."""
    return any(pluginmanager.has_plugin(name) for name in _PYTEST_RECORDING)


def cassette_dir(module: os.PathLike[str]) -> str:
    """``<test dir>/cassettes/<module name>`` for the test module at ``module``."""
    folder, name = os.path.split(os.fspath(module))
    return os.path.join(folder, "cassettes", os.path.splitext(name)[0])


def option(config: pytest.Config, name: str) -> Any:
    """Command-line option ``name`` (None when no plugin registered it)."""
    return config.getoption(name, default=None)


class Settings:
    """What the cassettes of a run share, read from its config by the first one.

    ``hooked``: a conftest implements ``pytest_recording_configure``; ``log``: the run's log
    of cassette use (the summary's); ``outcomes``: the tests that did not pass, so far (the
    failures; skips too when the run reads them, see :mod:`.outcome`).
    """

    __slots__ = (
        "_plain",
        "beside",
        "block_network",
        "disabled",
        "hooked",
        "log",
        "mode",
        "outcomes",
        "record_mode",
        "transformers",
        "verifying",
    )

    def __init__(
        self,
        *,
        record_mode: str | None,
        disabled: bool,
        verifying: bool,
        beside: bool,
        block_network: bool,
        hooked: bool,
        log: RunLog | None,
        outcomes: Outcomes,
    ) -> None:
        self.record_mode = record_mode
        self.mode = str(record_mode or "none")
        """The record mode of a test that configures none (``--record-mode``, else ``none``)."""
        self.disabled = disabled
        self.verifying = verifying
        self.beside = beside
        self.block_network = block_network
        self.hooked = hooked
        self.log = log
        self.outcomes = outcomes
        self.transformers: dict[str, PathTransformer] = {}
        self._plain: dict[str, Any] | None = None

    @classmethod
    def of(cls, config: pytest.Config) -> Settings:
        """The run's settings (read on the first call)."""
        try:
            return config.stash[_SETTINGS]
        except KeyError:
            settings = config.stash[_SETTINGS] = cls(
                record_mode=option(config, "record_mode"),
                disabled=bool(option(config, "disable_recording")),
                verifying=verifying(config),
                beside=pytest_recording_registered(config.pluginmanager),
                block_network=bool(option(config, "block_network")),
                hooked=bool(config.hook.pytest_recording_configure.get_hookimpls()),
                log=run_log(config),
                outcomes=outcomes_of(config),
            )
        return settings

    def plain_options(self) -> dict[str, Any]:
        """A test's cassette options when neither ``vcr_config`` nor a marker gives any:
        the run's record mode and the ``.yaml`` suffix (a new dict each call)."""
        plain = self._plain
        if plain is None:
            plain = self._plain = {
                "record_mode": self.mode,
                "path_transformer": self.ensure_suffix(".yaml"),
            }
        return dict(plain)

    def ensure_suffix(self, suffix: str) -> PathTransformer:
        """vcrpy's ``ensure_suffix(suffix)`` transformer, made once per suffix."""
        transformer = self.transformers.get(suffix)
        if transformer is None:
            from ..cassettes.vcr_config import ensure_suffix

            transformer = self.transformers[suffix] = ensure_suffix(suffix)
        return transformer


class Place:
    """What the tests of one module or class share: their default cassette folder, the class
    part of their cassette names, and whether they override the plugin's fixtures.
    """

    __slots__ = ("directory", "overrides", "prefix")

    def __init__(self, directory: str, prefix: str) -> None:
        self.directory = directory
        self.prefix = prefix
        self.overrides: frozenset[str] | None = None

    @classmethod
    def of(cls, item: pytest.Item) -> Place:
        """The place of ``item`` (noted on its parent by the first of its tests)."""
        holder = item.parent or item
        try:
            return holder.stash[_PLACE]
        except KeyError:
            owner = item.getparent(pytest.Class)
            prefix = "" if owner is None else f"{owner.obj.__name__}."
            place = holder.stash[_PLACE] = cls(cassette_dir(item.path), prefix)
        return place


def has_marker(node: Node, names: tuple[str, ...], parents: dict[int, bool]) -> bool:
    """Whether ``node`` or a parent of it carries a marker named in ``names``. ``parents``
    holds what is known of parent nodes (by id, filled in as found): the tests of a module
    then walk their own markers only."""
    for mark in node.own_markers:
        if mark.name in names:
            return True
    parent = node.parent
    if parent is None:
        return False
    known = parents.get(id(parent))
    if known is None:
        known = parents[id(parent)] = has_marker(parent, names, parents)
    return known


class Marks:
    """The markers the plugin reads on a test, found in one walk (the closest first).

    ``vcr_options``: whether a ``vcr`` marker gives cassette options (keyword arguments);
    ``vcr_arguments``: whether one gives options or extra cassettes (positional arguments);
    ``xfail``: whether the test is marked ``xfail`` (so far: a fixture or the body may add one).
    """

    __slots__ = (
        "block_network",
        "default_cassette",
        "vcr",
        "vcr_arguments",
        "vcr_options",
        "xfail",
    )

    def __init__(self, vcr: list[pytest.Mark]) -> None:
        self.vcr = vcr
        self.vcr_options = False
        self.vcr_arguments = False
        self.default_cassette: pytest.Mark | None = None
        self.block_network: pytest.Mark | None = None
        self.xfail = False

    @classmethod
    def of(cls, item: pytest.Item) -> Marks:
        """``item``'s markers (walked as ``item.iter_markers()`` does, without its generators)."""
        marks = cls([])
        vcr = marks.vcr
        node: Node | None = item
        while node is not None:
            for mark in node.own_markers:
                name = mark.name
                if name not in _READ:
                    continue
                if name == "vcr":
                    vcr.append(mark)
                    if mark.kwargs:
                        marks.vcr_options = marks.vcr_arguments = True
                    elif mark.args:
                        marks.vcr_arguments = True
                elif name == "default_cassette":
                    if marks.default_cassette is None:
                        marks.default_cassette = mark
                elif name == "block_network":
                    if marks.block_network is None:
                        marks.block_network = mark
                else:
                    marks.xfail = True
            node = node.parent
        return marks
