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

import contextlib
import hashlib
import importlib.metadata
import os
import re
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import pytest

from .outcome import CALL_FAILED
from .vcr_compat import RecordingHookspecs, VcrFixture, VcrFixtureBeside
from .verify import verified_hosts, verifying

if TYPE_CHECKING:
    from ..cassettes import Cassette

__all__ = [
    "NetworkBlockedError",
    "aiotape_cassette",
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
_PYTEST_RECORDING = ("recording", "pytest_recording.plugin")
_FORBIDDEN_IN_NAMES = re.compile(r"[<>?%*:|\"'/\\]")
_OWN_FIXTURES = pytest.StashKey[dict[str, bool]]()
_CASSETTE_FIXTURE = "aiotape_cassette"


class NetworkBlockedError(RuntimeError):
    """A test tried to open a network connection while ``--block-network`` is on."""


def _pytest_recording_present(pluginmanager: pytest.PytestPluginManager) -> bool:
    """Whether pytest-recording is (or is about to be) registered in this session."""
    if any(pluginmanager.has_plugin(name) for name in _PYTEST_RECORDING):
        return True
    if pluginmanager.is_blocked("recording") or os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
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
    beside = _pytest_recording_present(config.pluginmanager)
    config.pluginmanager.register(
        VcrFixtureBeside() if beside else VcrFixture(), "aiotape-vcr-fixture"
    )


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    """Cassette options shared by a module or conftest (override this fixture)."""
    return {}


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """``<test dir>/cassettes/<module name>``."""
    return _cassette_dir(request.node.path)


def _cassette_dir(module: os.PathLike[str]) -> str:
    folder, name = os.path.split(os.fspath(module))
    return os.path.join(folder, "cassettes", os.path.splitext(name)[0])


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """The test's name (``Class.test``), or the ``default_cassette`` marker's argument."""
    return _default_name(request)


def _default_name(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("default_cassette")
    if marker is not None:
        if not marker.args:
            raise pytest.UsageError("@pytest.mark.default_cassette needs the cassette name")
        return str(marker.args[0])
    name = request.node.name
    if request.cls is not None:
        name = f"{request.cls.__name__}.{name}"
    return _FORBIDDEN_IN_NAMES.sub("-", name)


def _overridden(request: pytest.FixtureRequest, name: str) -> bool:
    """Whether the test gets fixture ``name`` from elsewhere than this module (or can't tell).

    Overrides live in conftest files, modules and classes, so this is decided once per
    module or class, from pytest's fixture registry; the plugin's own fixtures are then
    computed without pytest's per-fixture setup and teardown.
    """
    node = request.node
    callspec = getattr(node, "callspec", None)
    if callspec is not None and name in callspec.params:
        return True
    known: dict[str, bool] = node.parent.stash.setdefault(_OWN_FIXTURES, {}) if node.parent else {}
    if name not in known:
        try:
            defs = request._fixturemanager.getfixturedefs(name, node)
        except (AttributeError, TypeError):  # another pytest's internals: ask pytest
            defs = None
        known[name] = not defs or getattr(defs[-1].func, "__module__", None) != __name__
    return known[name]


def _fixture(request: pytest.FixtureRequest, name: str, own: Callable[[], Any]) -> Any:
    """Fixture ``name``'s value: ``own()`` unless the test overrides it."""
    return request.getfixturevalue(name) if _overridden(request, name) else own()


def _fit_file_name(name: str, limit: int = 255 - len(".yaml")) -> str:
    """``name``, or for names too long for a file (parametrized tests) a prefix and a hash."""
    if len(name) <= limit:
        return name
    digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()
    return f"{name[: limit - len(digest) - 3]}...{digest}"


def _option(config: pytest.Config, name: str) -> Any:
    return config.getoption(name, default=None)


def _merged_config(config: dict[str, Any], markers: Sequence[pytest.Mark]) -> dict[str, Any]:
    merged = dict(config)
    for marker in reversed(markers):  # the closest marker wins
        merged.update(marker.kwargs)
    return merged


def _record_mode(pytestconfig: pytest.Config, merged: dict[str, Any]) -> str:
    return str(merged.get("record_mode") or _option(pytestconfig, "record_mode") or "none")


def _cassette_options(
    request: pytest.FixtureRequest, markers: Sequence[pytest.Mark], vcr_cassette_dir: str
) -> dict[str, Any]:
    """Cassette keywords for the test, as pytest-recording builds them for vcrpy."""
    from ..cassettes.vcr_config import ensure_suffix

    config = _merged_config(_fixture(request, "vcr_config", dict), markers)
    config.pop("allowed_hosts", None)
    config["record_mode"] = _record_mode(request.config, config)
    serializer = config.get("serializer", "yaml")
    suffix = f".{serializer}" if isinstance(serializer, str) else ".yaml"
    directory = os.fspath(vcr_cassette_dir)
    shared = request.node.get_closest_marker("default_cassette") is not None
    return {
        "path_transformer": ensure_suffix(suffix),
        "cassette_library_dir": directory,
        **config,
        "extra_paths": [
            os.path.join(directory, path) for marker in markers for path in marker.args
        ],
        "test_id": request.node.nodeid,
        "shared": shared,
    }


@pytest.hookimpl(specname="pytest_collection_modifyitems", trylast=True)
def pytest_collection_modifyitems_recording(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Give ``aiotape_cassette`` to the tests it serves: ``vcr``-marked ones, and with
    ``--block-network`` (or the ``block_network`` marker) the ones it guards. Other tests do
    not pay for a fixture. Runs last, once other plugins and conftests have added markers.
    """
    guard = not _pytest_recording_present(config.pluginmanager)
    guard_all = guard and bool(_option(config, "block_network"))
    for item in items:
        if (
            guard_all
            or item.get_closest_marker("vcr") is not None
            or (guard and item.get_closest_marker("block_network") is not None)
        ):
            _use_cassette_fixture(item)


def _use_cassette_fixture(item: pytest.Item) -> None:
    """Put ``aiotape_cassette`` among ``item``'s fixtures where an autouse fixture would be:
    after the higher-scoped fixtures, before the test's own function-scoped ones (which then
    run inside the cassette). Parametrized siblings share the list, so it may be there already.
    """
    info = getattr(item, "_fixtureinfo", None)
    names = getattr(item, "fixturenames", None)
    if info is None or not isinstance(names, list):  # an item without fixtures
        return
    if _CASSETTE_FIXTURE in names:
        names.remove(_CASSETTE_FIXTURE)
    defs = info.name2fixturedefs
    function_scoped = (
        i for i, name in enumerate(names) if name not in defs or defs[name][-1].scope == "function"
    )
    names.insert(next(function_scoped, len(names)), _CASSETTE_FIXTURE)


@pytest.fixture
def aiotape_cassette(request: pytest.FixtureRequest) -> Iterator[Cassette | None]:
    """For ``@pytest.mark.vcr`` tests, every aiotape session plays/records the cassette.

    At teardown the test fails if a request matched nothing, even if the code under test
    swallowed the error. The cassette modules are imported by the first marked test.
    The same fixture applies ``--block-network``. It is not autouse: the collection hook above
    adds it to the tests it serves (parametrized siblings share it, so it checks the marker).
    """
    steps = _cassette_steps(request)
    cassette = next(steps)
    try:
        guard = _network_guard(request)
        if guard is None:
            yield cassette
        else:
            with guard:
                yield cassette
    finally:
        for _ in steps:  # the cassette's teardown: save, note its use, report unmatched requests
            pass


def _cassette_steps(request: pytest.FixtureRequest) -> Iterator[Cassette | None]:
    """The cassette of ``aiotape_cassette``: yields it (or None), then tears it down."""
    markers = list(request.node.iter_markers(name="vcr"))
    pytestconfig = request.config
    if not markers or _option(pytestconfig, "disable_recording"):
        yield None
        return
    from ..cassettes import CassetteError, CassetteFormatError
    from ..cassettes.vcr import VCR
    from .verify import verify_cassette

    directory = _fixture(request, "vcr_cassette_dir", lambda: _cassette_dir(request.node.path))
    options = _cassette_options(request, markers, directory)
    registry = VCR()
    configure = pytestconfig.hook.pytest_recording_configure
    if configure.get_hookimpls():
        configure(config=pytestconfig, vcr=registry)
    name = _fit_file_name(
        _fixture(request, "default_cassette_name", lambda: _default_name(request))
    )
    if verifying(pytestconfig):  # --verify-cassettes: run live, compare, never write
        yield from verify_cassette(request, name, options)
        return
    options.pop("verify_ignore", None)
    try:
        cassette = registry.use_cassette(name, **options)
    except (CassetteError, LookupError, ValueError) as exc:
        if not _pytest_recording_present(pytestconfig.pluginmanager):
            if isinstance(exc, CassetteFormatError):  # one line: file, interaction and field
                raise pytest.fail.Exception(str(exc), pytrace=False) from None
            raise
        from ..client.transport import use_transport
        from .vcr_compat import Unusable

        with use_transport(Unusable(exc)):  # only aiotape's requests see the error
            yield None
        return
    with cassette:
        yield cassette
    if not cassette.saw_traffic:
        return
    from .summary import note_cassette

    note_cassette(request, cassette)
    if cassette.unmatched and not request.node.stash.get(CALL_FAILED, False):
        shown = "\n\n".join(str(error) for error in cassette.unmatched)
        count = len(cassette.unmatched)
        pytest.fail(
            f"{count} {'request' if count == 1 else 'requests'} did not match the cassette:"
            f"\n{shown}"
        )


# -- --block-network ---------------------------------------------------------------------------

_Connect = Callable[[socket.socket, Any], Any]


def _guarded(original: _Connect, allowed: re.Pattern[str] | None) -> _Connect:
    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0])
            if allowed is None or not allowed.match(host):
                raise NetworkBlockedError(
                    f"Network is disabled (--block-network): connection to {host!r} refused. "
                    "To record this test's traffic, add @pytest.mark.vcr to it and run it "
                    "once with --record-mode=once; or allow the host with --allowed-hosts."
                )
        return original(sock, address)

    return connect


def _network_guard(request: pytest.FixtureRequest) -> AbstractContextManager[None] | None:
    """For ``--block-network`` / the marker, unless the test is recording: what blocks socket
    connections while the test runs (None: nothing to block). Left to pytest-recording when
    it is installed.
    """
    pytestconfig = request.config
    marker = request.node.get_closest_marker("block_network")
    wanted = marker is not None or bool(_option(pytestconfig, "block_network"))
    if not wanted or _pytest_recording_present(pytestconfig.pluginmanager):
        return None
    markers = list(request.node.iter_markers(name="vcr"))
    config: dict[str, Any] = _fixture(request, "vcr_config", dict)
    if markers and _record_mode(pytestconfig, _merged_config(config, markers)) != "none":
        return None
    hosts = (
        (marker.kwargs.get("allowed_hosts") if marker is not None else None)
        or _option(pytestconfig, "allowed_hosts")
        or config.get("allowed_hosts")
    )
    if isinstance(hosts, str):
        hosts = hosts.split(",")
    hosts = [*(hosts or ()), *verified_hosts(request)]
    return _blocked(re.compile("|".join(f"(?:{h})" for h in hosts)) if hosts else None)


@contextlib.contextmanager
def _blocked(allowed: re.Pattern[str] | None) -> Iterator[None]:
    """The one place aiotape patches anything: ``socket.socket.connect``/``connect_ex``."""
    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex
    guard, guard_ex = _guarded(original_connect, allowed), _guarded(original_connect_ex, allowed)
    socket.socket.connect = guard  # type: ignore[assignment]
    socket.socket.connect_ex = guard_ex  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
