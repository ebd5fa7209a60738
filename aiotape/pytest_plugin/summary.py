"""The end-of-run report of cassette and mock use, and the ``--cassette-usage`` file.

Each test's cassettes and ``http_mock`` routes are noted at fixture teardown; under
``pytest -n`` every worker ships its notes to the controller (``workeroutput``), which merges
them. The terminal summary is one line, e.g. ``aiotape: 12 cassettes (10 replayed, 2 recorded),
3 new interactions, 1 unused interaction; http_mock: 4 tests, 0 unused routes``; with ``-v`` it
lists the cassettes with new or unused interactions and the unused routes per test.
``--cassette-usage=PATH`` writes which interactions of each cassette were played (JSON, read
by :func:`aiotape.cassettes.prune.prune`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest

if TYPE_CHECKING:
    from ..cassettes.cassette import Cassette
    from ..cassettes.model import Interaction
    from ..mocking import MockRouter
    from ..mocking.routes import Route, WebSocketRoute

__all__ = [  # the hooks, for the plugin entry; and CassetteUse, MockUse, RunLog, aggregate,
    # note_cassette, note_mock, run_log, summary_lines, usage_document
    "pytest_addoption_summary",
    "pytest_configure_summary",
    "pytest_sessionfinish_summary",
    "pytest_terminal_summary_aiotape",
    "pytest_testnodedown_summary",
]

_WORKER_KEY = "aiotape_usage"
_SHOWN_POSITIONS = 10
_POSIX = os.sep == "/" and os.altsep is None
_LOG: pytest.StashKey[RunLog] = pytest.StashKey()


class CassetteUse:
    """One test's use of one cassette file (``path`` absolute).

    ``mode`` is ``replayed`` when recorded interactions could be played (``played`` are their
    positions in the file), ``recorded`` in the record-only modes. ``new`` counts interactions
    the test wrote to the file; ``passed`` is False if the test failed, errored or skipped
    (skips and xfails are noted for ``--cassette-usage`` only, the file that reads them);
    ``digest`` is the file's SHA-256 after the test (only noted for ``--cassette-usage``);
    ``failures`` describes each failure the test recorded (``ClientConnectorError to host:port``).
    """

    __slots__ = (
        "digest",
        "failures",
        "interactions",
        "mode",
        "new",
        "passed",
        "path",
        "played",
        "test",
    )

    def __init__(
        self,
        path: str,
        test: str,
        mode: Literal["replayed", "recorded"],
        interactions: int = 0,
        played: tuple[int, ...] = (),
        new: int = 0,
        passed: bool = True,
        digest: str | None = None,
        failures: tuple[str, ...] = (),
    ) -> None:
        self.path = path
        self.test = test
        self.mode = mode
        self.interactions = interactions
        self.played = played
        self.new = new
        self.passed = passed
        self.digest = digest
        self.failures = failures


class MockUse:
    """One test's ``http_mock``: how many routes it registered and the never-called ones."""

    __slots__ = ("routes", "test", "unused")

    def __init__(self, test: str, routes: int, unused: tuple[str, ...] = ()) -> None:
        self.test = test
        self.routes = routes
        self.unused = unused


def _fields(use: CassetteUse | MockUse) -> dict[str, Any]:
    return {name: getattr(use, name) for name in use.__slots__}


class RunLog:
    """Everything noted during a run (in one process, or merged from xdist workers).

    ``digests``: whether cassette uses note the files' digests (for ``--cassette-usage``).
    """

    __slots__ = ("cassettes", "digests", "mocks")

    def __init__(
        self,
        cassettes: list[CassetteUse] | None = None,
        mocks: list[MockUse] | None = None,
        digests: bool = False,
    ) -> None:
        self.cassettes = [] if cassettes is None else cassettes
        self.mocks = [] if mocks is None else mocks
        self.digests = digests

    def __bool__(self) -> bool:
        return bool(self.cassettes or self.mocks)

    def to_wire(self) -> dict[str, list[dict[str, Any]]]:
        """Plain lists and dicts, for xdist's ``workeroutput``."""
        return {
            "cassettes": [_fields(use) for use in self.cassettes],
            "mocks": [_fields(use) for use in self.mocks],
        }

    def merge_wire(self, wire: dict[str, list[dict[str, Any]]]) -> None:
        """Add what ``to_wire`` produced in another process."""
        for use in wire.get("cassettes", ()):
            self.cassettes.append(
                CassetteUse(
                    **{**use, "played": tuple(use["played"]), "failures": tuple(use["failures"])}
                )
            )
        for mock in wire.get("mocks", ()):
            self.mocks.append(MockUse(**{**mock, "unused": tuple(mock["unused"])}))


class FileReport:
    """One cassette file over the whole run.

    ``written`` if any test recorded into it; ``complete`` if every test using it passed;
    ``digest`` is None when unknown or when tests saw different contents.
    """

    __slots__ = ("complete", "digest", "interactions", "new", "path", "played", "recorded")

    def __init__(
        self,
        path: str,
        recorded: bool,
        interactions: int,
        played: frozenset[int],
        new: int,
        complete: bool,
        digest: str | None,
    ) -> None:
        self.path = path
        self.recorded = recorded
        self.interactions = interactions
        self.played = played
        self.new = new
        self.complete = complete
        self.digest = digest

    @property
    def written(self) -> bool:
        """Whether the file was (re)written during the run."""
        return self.recorded or self.new > 0

    @property
    def unused(self) -> tuple[int, ...]:
        """Positions never played (none for files written during the run)."""
        if self.written:
            return ()
        return tuple(sorted(set(range(self.interactions)) - self.played))

    @property
    def unused_count(self) -> int:
        """How many positions were never played (``played`` are positions in the file)."""
        if self.recorded or self.new > 0:
            return 0
        return self.interactions - len(self.played)


def aggregate(uses: Iterable[CassetteUse]) -> list[FileReport]:
    """Per-file reports of ``uses``, sorted by path."""
    return [_file_report(path, group) for path, group in sorted(_by_path(uses).items())]


def _by_path(uses: Iterable[CassetteUse]) -> dict[str, list[CassetteUse]]:
    by_path: dict[str, list[CassetteUse]] = {}
    for use in uses:
        by_path.setdefault(use.path, []).append(use)
    return by_path


def _totals(uses: Iterable[CassetteUse]) -> tuple[int, int, int, int]:
    """The files, recorded files, new and unused interactions: the sums of the per-file
    reports of ``uses`` (:func:`aggregate`, without sorting them)."""
    reports = [_file_report(path, group) for path, group in _by_path(uses).items()]
    return (
        len(reports),
        sum(report.recorded for report in reports),
        sum(report.new for report in reports),
        sum(report.unused_count for report in reports),
    )


def _file_report(path: str, group: Sequence[CassetteUse]) -> FileReport:
    """One file's report from its uses (in one pass: a suite has a use per test)."""
    if len(group) == 1:  # the usual case: a test's own cassette
        use = group[0]
        replayed = use.mode == "replayed"
        return FileReport(
            path,
            not replayed,
            use.interactions if replayed else 0,
            frozenset(use.played),
            use.new,
            use.passed,
            use.digest,
        )
    recorded, complete, new = False, True, 0
    played: set[int] = set()
    counts: set[int] = set()
    digests: set[str | None] = set()
    for use in group:
        if use.mode == "replayed":
            counts.add(use.interactions)
        elif use.mode == "recorded":
            recorded = True
        played.update(use.played)
        new += use.new
        complete = complete and use.passed
        digests.add(use.digest)
    return FileReport(
        path=path,
        recorded=recorded,
        interactions=max(counts, default=0),
        played=frozenset(played),
        new=new,
        complete=complete,
        digest=digests.pop() if len(digests) == 1 and len(counts) <= 1 else None,
    )


def usage_document(reports: Sequence[FileReport]) -> dict[str, Any]:
    """The ``--cassette-usage`` JSON: per cassette path, the interactions played."""
    from ..cassettes.prune import USAGE_VERSION

    return {
        "version": USAGE_VERSION,
        "cassettes": {
            report.path: {
                "interactions": report.interactions,
                "played": sorted(report.played),
                "written": report.written,
                "complete": report.complete,
                "sha256": report.digest,
            }
            for report in reports
        },
    }


# -- noting uses (called by the fixtures) --------------------------------------------------


def _digest(path: str) -> str | None:
    """The SHA-256 of file ``path`` (None if it is gone), for ``--cassette-usage`` only."""
    import hashlib

    try:
        with open(path, "rb") as file:
            return hashlib.sha256(file.read()).hexdigest()
    except FileNotFoundError:
        return None


def _absolute(path: str) -> str:
    """``os.path.abspath(path)``, skipping its work for a path absolute and normal already
    (a cassette's file under its test's folder, the usual case)."""
    if (
        _POSIX
        and path.startswith("/")
        and "//" not in path
        and "/." not in path
        and not path.endswith("/")
    ):
        return path
    return os.path.abspath(path)


def _failure(interaction: Interaction) -> str:
    """``ClientConnectorError to 127.0.0.1:8080``."""
    from yarl import URL

    url = URL(interaction.request.uri, encoded=True)
    kind = interaction.error.type if interaction.error is not None else "failure"
    return f"{kind} to {url.host}:{url.port}"


def run_log(config: pytest.Config) -> RunLog | None:
    """The log of this run (None if the plugin did not configure it)."""
    return config.stash.get(_LOG, None)


def note_cassette(log: RunLog | None, item: pytest.Item, cassette: Cassette, passed: bool) -> None:
    """Note in ``log`` what ``cassette`` played and recorded during test ``item`` (``passed``:
    whether the test's setup and body passed and every request matched)."""
    file = cassette.file
    if log is None or file is None:
        return
    test = item.nodeid
    main = _absolute(file)
    saved_failures = cassette.saved_failures
    failures = tuple(map(_failure, saved_failures)) if saved_failures else ()
    if not cassette.replaying:
        log.cassettes.append(
            CassetteUse(
                main, test, "recorded", new=cassette.saved_count, passed=passed, failures=failures
            )
        )
        return
    for usage in cassette.file_usage():
        path = main if usage.path is file else _absolute(usage.path)
        new = cassette.saved_count if path == main else 0
        log.cassettes.append(
            CassetteUse(
                path,
                test,
                "replayed",
                interactions=usage.interactions,
                played=usage.played,
                new=new,
                passed=passed,
                digest=_digest(usage.path) if log.digests and not new else None,
                failures=failures if path == main else (),
            )
        )


def _route_label(route: Route | WebSocketRoute) -> str:
    from ..mocking.routes import WebSocketRoute

    kind = "websocket " if isinstance(route, WebSocketRoute) else ""
    return f"{kind}{route.pattern.describe()}"


def note_mock(request: pytest.FixtureRequest, router: MockRouter) -> None:
    """Note how many routes the requesting test's ``http_mock`` had, and the unused ones."""
    log = request.config.stash.get(_LOG, None)
    if log is None:
        return
    unused = tuple(_route_label(route) for route in router.routes if not route.called)
    log.mocks.append(MockUse(request.node.nodeid, len(router.routes), unused))


# -- hooks ---------------------------------------------------------------------------------


@pytest.hookimpl(specname="pytest_addoption")
def pytest_addoption_summary(parser: pytest.Parser) -> None:
    """``--cassette-usage=PATH``."""
    parser.getgroup("recording").addoption(
        "--cassette-usage",
        action="store",
        default=None,
        metavar="PATH",
        help="Write which cassette interactions this run played to PATH (JSON), for "
        "`aiotape cassette prune PATH`.",
    )


@pytest.hookimpl(specname="pytest_configure")
def pytest_configure_summary(config: pytest.Config) -> None:
    """Start an empty log of this run."""
    config.stash[_LOG] = RunLog(
        digests=config.getoption("cassette_usage", default=None) is not None
    )


@pytest.hookimpl(specname="pytest_testnodedown", optionalhook=True)
def pytest_testnodedown_summary(node: Any, error: object | None) -> None:
    """xdist controller: merge a finished worker's log into ours."""
    wire = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
    if wire is not None:
        node.config.stash[_LOG].merge_wire(wire)


@pytest.hookimpl(specname="pytest_sessionfinish")
def pytest_sessionfinish_summary(session: pytest.Session) -> None:
    """Send the log to the xdist controller, or write the usage file (``--cassette-usage``)."""
    config = session.config
    log = config.stash[_LOG]
    if hasattr(config, "workerinput"):
        config.workeroutput[_WORKER_KEY] = log.to_wire()  # type: ignore[attr-defined]
        return
    target = config.getoption("cassette_usage", default=None)
    if target is not None:
        from ..cassettes.storage import write_atomic

        path = config.invocation_params.dir / target
        document = usage_document(aggregate(log.cassettes))
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(document, indent=1) + "\n")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _positions(positions: Sequence[int]) -> str:
    shown = ", ".join(f"#{p}" for p in positions[:_SHOWN_POSITIONS])
    more = len(positions) - _SHOWN_POSITIONS
    return shown + (f", ... and {more} more" if more > 0 else "")


def summary_lines(log: RunLog, *, verbose: bool, root: Path) -> list[str]:
    """The report: one line, plus per-cassette and per-test details when ``verbose``."""
    files, recorded, new, never = _totals(log.cassettes)
    parts = []
    if files:
        parts.append(
            f"{_plural(files, 'cassette')} ({files - recorded} replayed, "
            f"{recorded} recorded), {_plural(new, 'new interaction')}, "
            f"{_plural(never, 'unused interaction')}"
        )
    if log.mocks:
        unused_routes = sum(len(mock.unused) for mock in log.mocks)
        parts.append(
            f"http_mock: {_plural(len(log.mocks), 'test')}, "
            f"{_plural(unused_routes, 'unused route')}"
        )
    lines = ["aiotape: " + "; ".join(parts)]
    lines.extend(_failure_lines(log.cassettes))
    if not verbose:
        return lines
    for report in aggregate(log.cassettes):
        shown = _shown_path(report.path, root)
        if report.recorded:
            lines.append(f"  {shown}: recorded, {_plural(report.new, 'new interaction')}")
        elif report.new:
            lines.append(f"  {shown}: {_plural(report.new, 'new interaction')}")
        elif report.unused:
            unused = report.unused
            lines.append(
                f"  {shown}: {_plural(len(unused), 'unused interaction')} ({_positions(unused)})"
            )
    for mock in sorted(log.mocks, key=lambda m: m.test):
        lines.extend(f"  {mock.test}: unused route {route}" for route in mock.unused)
    return lines


def _failure_lines(uses: Sequence[CassetteUse]) -> list[str]:
    """``recorded 1 failure: ClientConnectorError to 127.0.0.1:8080 — was the service up?``"""
    failures = [(use, failure) for use in uses for failure in use.failures]
    if not failures:
        return []
    kinds = ", ".join(dict.fromkeys(failure for _, failure in failures))
    tests = ", ".join(dict.fromkeys(use.test for use, _ in failures))
    return [
        f"recorded {_plural(len(failures), 'failure')}: {kinds} \u2014 was the service up?",
        f"  recorded by {tests}; replays will raise {'it' if len(failures) == 1 else 'them'}"
        " until re-recorded",
    ]


def _shown_path(path: str, root: Path) -> str:
    try:
        return os.fspath(Path(path).relative_to(root))
    except ValueError:
        return path


@pytest.hookimpl(specname="pytest_terminal_summary")
def pytest_terminal_summary_aiotape(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print the report (nothing if no test used a cassette or ``http_mock``)."""
    log = config.stash.get(_LOG, None)
    if not log or hasattr(config, "workerinput"):
        return
    verbose = config.getoption("verbose", default=0) > 0
    terminalreporter.write_sep("-", "aiotape")
    for line in summary_lines(log, verbose=verbose, root=config.rootpath):
        terminalreporter.write_line(line)
