"""Cassette recording/replay for tests marked ``@pytest.mark.vcr`` (pytest-recording's names).

Options ``--record-mode {none,once,new_episodes,all,rewrite}`` (default ``none``),
``--block-network`` and ``--allowed-hosts``; markers ``vcr`` (extra cassette paths as args,
cassette options as kwargs), ``default_cassette``, ``block_network``; fixtures ``vcr_config``,
``vcr_cassette_dir``, ``default_cassette_name`` and ``vcr`` (the active Cassette). Cassettes live
in ``<test dir>/cassettes/<module>/<test>.yaml``.

``vcr_config`` takes every vcrpy option name (see :mod:`aiotape.cassettes.vcr_config`);
conftest files may implement pytest-recording's ``pytest_recording_configure(config, vcr)``
to register matchers and serializers.

With pytest-recording installed as well, it owns the command-line options (same names, same
meaning) and the ``block_network`` fixture, and drives vcrpy for the libraries vcrpy
patches; aiotape reads the same options and marker and records aiotape sessions (fixture
``aiotape_cassette``; ``vcr`` answers with whichever cassette saw the test's traffic). A test
whose traffic aiotape never sees is left alone: aiotape writes nothing and reports nothing.
Both write ``<test>.yaml``, so a single test should not record through both aiotape and a
vcrpy-patched client.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import re
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import pytest

from .facts import (
    Marks,
    Place,
    Settings,
    cassette_dir,
    has_marker,
    option,
    pytest_recording_registered,
)
from .outcome import track_outcomes

if TYPE_CHECKING:
    from ..cassettes import Cassette

__all__ = [  # the hooks and fixtures, for the plugin entry; and CassetteFixture
    "default_cassette_name",
    "pytest_addhooks_recording",
    "pytest_addoption_recording",
    "pytest_collection_modifyitems_recording",
    "pytest_configure_recording",
    "vcr_cassette_dir",
    "vcr_config",
]

_RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")
"""RecordMode's values (spelt out: registering the option must not import the cassettes)."""
_FORBIDDEN_IN_NAMES = str.maketrans(dict.fromkeys("<>?%*:|\"'/\\", "-"))
"""Characters a cassette file name cannot hold, each replaced by ``-`` (no regex to compile)."""
_OWN_FIXTURES = ("vcr_config", "vcr_cassette_dir", "default_cassette_name")
_FIXTURE_PLUGIN = "aiotape-cassette-fixture"
_ENTRY_PLUGIN = "aiotape-cassette-entry"
_ENTERED: pytest.StashKey[Cassette | None] = pytest.StashKey()
"""The cassette entered for a test, until its teardown."""


class RecordingHookspecs:
    """pytest-recording's hook, for conftest files written for it."""

    @staticmethod
    @pytest.hookspec
    def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
        """Register custom matchers/serializers on ``vcr`` (called for each cassette)."""


class VcrFixture:
    """``vcr`` when pytest-recording is absent: the active aiotape Cassette."""

    @pytest.fixture
    def vcr(self, aiotape_cassette: Cassette | None) -> Cassette | None:
        """The cassette of a ``@pytest.mark.vcr`` test (None for unmarked tests)."""
        return aiotape_cassette


def _pytest_recording_present(pluginmanager: pytest.PytestPluginManager) -> bool:
    """Whether pytest-recording is (or is about to be) registered in this session."""
    if pytest_recording_registered(pluginmanager):
        return True
    if pluginmanager.is_blocked("recording") or os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    return _pytest_recording_installed()


@functools.cache
def _pytest_recording_installed() -> bool:
    """Whether an installed distribution offers pytest-recording's ``pytest11`` entry point.
    Read once a process: a scan of every distribution's entry points costs ~20M instructions
    (~5 ms), and the run's hooks ask up to three times."""
    return any(
        ep.value.startswith("pytest_recording")
        for ep in importlib.metadata.entry_points(group="pytest11")
    )


@pytest.hookimpl(specname="pytest_addoption")
def pytest_addoption_recording(
    parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager
) -> None:
    """pytest-recording's options, unless pytest-recording itself registers them."""
    if _pytest_recording_present(pluginmanager):
        return
    group = parser.getgroup("recording")
    group.addoption(
        "--record-mode",
        action="store",
        default=None,
        choices=_RECORD_MODES,
        help='Cassette record mode (default "none": replay only).',
    )
    group.addoption(
        "--block-network",
        action="store_true",
        default=False,
        help="Fail any network connection made by a test not recording a cassette.",
    )
    group.addoption(
        "--allowed-hosts",
        action="store",
        default=None,
        help="Comma-separated regexes of hosts --block-network still lets through.",
    )


@pytest.hookimpl(specname="pytest_addhooks")
def pytest_addhooks_recording(pluginmanager: pytest.PytestPluginManager) -> None:
    """Declare ``pytest_recording_configure`` unless pytest-recording declares it."""
    if not _pytest_recording_present(pluginmanager):
        pluginmanager.add_hookspecs(RecordingHookspecs)


@pytest.hookimpl(specname="pytest_configure")
def pytest_configure_recording(config: pytest.Config) -> None:
    """Register the markers and the ``vcr`` fixture (wrapping pytest-recording's, if present)."""
    for line in (
        "vcr(*extra_cassettes, **options): replay/record this test's cassette "
        "(extra cassettes are replayed too, options override vcr_config).",
        "default_cassette(name): name of the test's cassette file (.yaml added if missing).",
        "block_network(allowed_hosts=None): block network access unless recording.",
    ):
        config.addinivalue_line("markers", line)
    config.pluginmanager.register(CassetteFixture(), _FIXTURE_PLUGIN)
    vcr: object = VcrFixture()
    if _pytest_recording_present(config.pluginmanager):
        from .vcr_beside import VcrFixtureBeside

        vcr = VcrFixtureBeside()
    config.pluginmanager.register(vcr, "aiotape-vcr-fixture")


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    """Cassette options shared by a module or conftest (override this fixture)."""
    return {}


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """``<test dir>/cassettes/<module name>``."""
    return cassette_dir(request.node.path)


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """The test's name (``Class.test``), or the ``default_cassette`` marker's argument."""
    node = request.node
    return default_name(node, Place.of(node), node.get_closest_marker("default_cassette"))


def default_name(item: pytest.Item, place: Place, marker: pytest.Mark | None) -> str:
    """The test's name (``Class.test``), or ``marker``'s (``default_cassette``) argument."""
    if marker is not None:
        if not marker.args:
            raise pytest.UsageError("@pytest.mark.default_cassette needs the cassette name")
        return str(marker.args[0])
    return (place.prefix + item.name).translate(_FORBIDDEN_IN_NAMES)


def overrides(item: pytest.Item, place: Place) -> AbstractSet[str]:
    """Which of ``vcr_config``, ``vcr_cassette_dir`` and ``default_cassette_name`` the test
    gets from elsewhere than this module (or can't tell): parametrized, or overridden.

    Overrides live in conftest files, modules and classes, so they are found once per
    module or class (``place``), in pytest's fixture registry; the plugin's own fixtures
    are then computed without pytest's per-fixture setup and teardown.
    """
    known = place.overrides
    if known is None:
        known = place.overrides = frozenset(
            name for name in _OWN_FIXTURES if not _own_fixture(item, name)
        )
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        return known.union(name for name in _OWN_FIXTURES if name in callspec.params)
    return known


def _own_fixture(item: pytest.Item, name: str) -> bool:
    """Whether fixture ``name`` of ``item`` is this module's."""
    try:
        defs = item.session._fixturemanager.getfixturedefs(name, item)
    except (AttributeError, TypeError):  # another pytest's internals: ask pytest
        return False
    if not defs:
        return False
    return getattr(defs[-1].func, "__module__", None) == __name__


def own_or_overridden(item: pytest.Item, overridden: AbstractSet[str], name: str, own: Any) -> Any:
    """Fixture ``name``'s value: ``own`` unless the test overrides it (is in ``overridden``)."""
    return fixture_request(item).getfixturevalue(name) if name in overridden else own


def fixture_request(item: pytest.Item) -> pytest.FixtureRequest:
    """The ``request`` of test function ``item``, to get the fixtures it overrides."""
    if not isinstance(item, pytest.Function):
        raise pytest.UsageError(f"{item.nodeid}: overridden cassette fixtures need a function")
    return item._request


def merged_config(config: dict[str, Any] | None, markers: Sequence[pytest.Mark]) -> dict[str, Any]:
    """``vcr_config`` (None: the plugin's own, empty) updated by the ``vcr`` markers' options."""
    merged = {} if config is None else dict(config)
    for marker in reversed(markers):  # the closest marker wins
        merged.update(marker.kwargs)
    return merged


def record_mode(settings: Settings, merged: dict[str, Any]) -> str:
    """The record mode: the markers' or ``vcr_config``'s, else ``--record-mode``'s."""
    return str(merged.get("record_mode") or settings.record_mode or "none")


@pytest.hookimpl(specname="pytest_collection_modifyitems", trylast=True)
def pytest_collection_modifyitems_recording(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Note the tests a cassette serves: ``vcr``-marked ones, and with ``--block-network``
    (or the ``block_network`` marker) the ones it guards. Runs last, once other plugins and
    conftests have added markers. If any test is served (and ``--setup-plan`` is off), the
    hooks entering their cassettes are registered, with the served tests.
    """
    settings = Settings.of(config)
    guard = not settings.beside
    if guard and settings.block_network:
        served = set(items)
    else:
        names = ("vcr", "block_network") if guard else ("vcr",)
        parents: dict[int, bool] = {}
        served = {item for item in items if has_marker(item, names, parents)}
    if not served:
        return
    track_outcomes(config)
    manager = config.pluginmanager
    if config.option.setupplan:
        return
    entry = manager.get_plugin(_ENTRY_PLUGIN)
    if isinstance(entry, CassetteEntry):
        entry.served = served
        return
    fixture = manager.get_plugin(_FIXTURE_PLUGIN)
    if isinstance(fixture, CassetteFixture):
        manager.register(CassetteEntry(fixture, served), _ENTRY_PLUGIN)


class CassetteFixture:
    """The ``aiotape_cassette`` fixture, and the entry into a test's cassette, on a plugin
    object registered once per run.

    A served test (see the collection hook) does not use the fixture: pytest's setup and
    teardown of a fixture cost about 0.2M instructions a test. Its cassette is entered where
    an autouse fixture would run, just before its first function-scoped fixture is set up
    (or, without one, once its setup is done); it is left by a finalizer of the test, after
    its function-scoped fixtures' teardown (:class:`CassetteEntry`). The fixture gives that
    cassette to ``vcr``, or enters one for a test that asks for it unserved (marked at run
    time, or unmarked). The cassette modules are imported by the first cassette entered.
    """

    def __init__(self) -> None:
        self.settings: Settings | None = None
        """The run's settings, read by the first cassette entered."""
        self.tracking = False
        """Whether the run's outcomes are noted (by the first cassette entered, if not before)."""

    @pytest.fixture
    def aiotape_cassette(self, request: pytest.FixtureRequest) -> Cassette | None:
        """For ``@pytest.mark.vcr`` tests, every aiotape session plays/records the cassette.

        At teardown the test fails if a request matched nothing, even if the code under test
        swallowed the error. The same cassette entry applies ``--block-network``.
        """
        item = request.node
        if not isinstance(item, pytest.Item):
            raise pytest.UsageError("aiotape_cassette is only set up for a test being run")
        try:
            return item.stash[_ENTERED]
        except KeyError:
            return self.enter(item)

    def enter(self, item: pytest.Item) -> Cassette | None:
        """Enter ``item``'s cassette (and network guard) until the test's teardown."""
        settings = self.settings
        if settings is None:
            settings = self.settings = Settings.of(item.config)
        marks = Marks.of(item)
        if not self.tracking or marks.xfail:  # a strict xfail test can fail without raising
            track_outcomes(item.config, xfail=marks.xfail)
            self.tracking = True
        session = _cassette_session(item, settings, marks)
        cassette = item.stash[_ENTERED] = next(session)
        item.addfinalizer(functools.partial(_leave, item, session))
        return cassette


class CassetteEntry:
    """Enters a served test's cassette when its first function-scoped fixture is about to be
    set up, or once its setup is done (registered only if a test is served, so that a run
    without one pays no hook call a test).

    ``served``: the tests whose cassette (or network guard) is entered without a fixture;
    ``pending``: the served test being set up, until its cassette is entered.
    """

    def __init__(self, fixture: CassetteFixture, served: set[pytest.Item]) -> None:
        self._fixture = fixture
        self.served = served
        self.pending: pytest.Item | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Note the served test whose fixtures are about to be set up (pending)."""
        self.pending = item if item in self.served else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[Any]) -> None:
        """Enter the pending cassette before the test's function-scoped fixtures (those being
        set up while a test is pending are its own)."""
        pending = self.pending
        if pending is not None and fixturedef.scope == "function":
            self.pending = None
            self._fixture.enter(pending)

    @pytest.hookimpl(specname="pytest_runtest_setup", trylast=True)
    def pytest_runtest_setup_done(self, item: pytest.Item) -> None:
        """Enter the pending cassette of a test without function-scoped fixtures."""
        if self.pending is item:
            self.pending = None
            self._fixture.enter(item)


def _leave(item: pytest.Item, session: Iterator[Cassette | None]) -> None:
    """Leave the cassette entered for ``item``: save it, note its use, report unmatched."""
    del item.stash[_ENTERED]
    for _ in session:  # the cassette's teardown: save, note its use, report unmatched
        pass


def _cassette_session(
    item: pytest.Item, settings: Settings, marks: Marks
) -> Iterator[Cassette | None]:
    """The test's cassette steps: they yield its cassette (or None) with its network guard
    entered, and leave both once exhausted."""
    steps: Iterator[Cassette | None]
    if marks.vcr and not settings.disabled:
        steps = _cassette_steps()(item, settings, marks)
    else:
        steps = iter((None,))
    if (marks.block_network is None and not settings.block_network) or settings.beside:
        return steps  # the usual case: no network guard (left to pytest-recording, if beside)
    return _guarded(item, settings, marks, steps)


@functools.cache
def _cassette_steps() -> Callable[[pytest.Item, Settings, Marks], Iterator[Cassette | None]]:
    """:func:`~.cassette_steps.cassette_steps`, from the module the first cassette imports."""
    from .cassette_steps import cassette_steps

    return cassette_steps


def _guarded(
    item: pytest.Item, settings: Settings, marks: Marks, steps: Iterator[Cassette | None]
) -> Iterator[Cassette | None]:
    """``steps`` with the network guard of ``--block-network`` (or the marker) entered."""
    cassette = next(steps)
    try:
        guard = _network_guard(item, settings, marks)
        if guard is None:
            yield cassette
        else:
            with guard:
                yield cassette
    finally:
        for _ in steps:  # the cassette's teardown: save, note its use, report unmatched
            pass


# -- --block-network ---------------------------------------------------------------------------


def _network_guard(
    item: pytest.Item, settings: Settings, marks: Marks
) -> AbstractContextManager[None] | None:
    """For ``--block-network`` / the marker, unless the test is recording: what blocks socket
    connections while the test runs (None: nothing to block).
    """
    marker = marks.block_network
    config: dict[str, Any] = own_or_overridden(
        item, overrides(item, Place.of(item)), "vcr_config", {}
    )
    if marks.vcr and record_mode(settings, merged_config(config, marks.vcr)) != "none":
        return None
    hosts = (
        (marker.kwargs.get("allowed_hosts") if marker is not None else None)
        or option(item.config, "allowed_hosts")
        or config.get("allowed_hosts")
    )
    if isinstance(hosts, str):
        hosts = hosts.split(",")
    hosts = list(hosts or ())
    if settings.verifying:  # the live run reaches the hosts its cassettes talk to
        from .verify_run import verified_hosts

        hosts.extend(verified_hosts(item))
    from .socket_guard import blocked

    return blocked(re.compile("|".join(f"(?:{h})" for h in hosts)) if hosts else None)
