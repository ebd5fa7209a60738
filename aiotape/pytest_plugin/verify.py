"""``pytest --verify-cassettes``: cassette tests run live, and drift from the recordings fails them.

In verify mode the cassette fixture hands every ``@pytest.mark.vcr`` test a recording cassette
with no file (:func:`verify_cassette`): the test talks to the real service, filtered and
redacted as when it was recorded, and at teardown its live interactions are compared with the
cassette files (:func:`aiotape.cassettes.verify.verify_files`). Failing drift (status, header,
body-schema, ws, missing, extra; body-value too with ``--verify-cassettes=strict``) fails the
test at teardown with an assertion-style diff. Cassettes are never written.

The terminal summary lists the drifted cassettes; ``--drift-report=PATH`` writes every drift as
JSON. Under ``pytest -n`` workers ship their drifts to the controller (``workeroutput``).
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .outcome import call_failed, not_passed

if TYPE_CHECKING:
    from ..cassettes import Cassette
    from ..cassettes.drift import Drift

__all__ = [
    "VerifyLog",
    "pytest_addoption_verify",
    "pytest_configure_verify",
    "pytest_sessionfinish_verify",
    "pytest_terminal_summary_verify",
    "pytest_testnodedown_verify",
    "verified_hosts",
    "verify_cassette",
    "verifying",
]

_LOG: pytest.StashKey[VerifyLog] = pytest.StashKey()
_PATHS: pytest.StashKey[list[Path]] = pytest.StashKey()
_WORKER_KEY = "aiotape_drift"


class VerifyLog:
    """A verify run: strict or not, the cassettes verified and the drifts found."""

    __slots__ = ("cassettes", "drifts", "strict")

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.cassettes: set[str] = set()
        self.drifts: list[Drift] = []

    def to_wire(self) -> dict[str, Any]:
        """Plain lists, for xdist's ``workeroutput``."""
        return {
            "cassettes": sorted(self.cassettes),
            "drifts": [drift.to_json() for drift in self.drifts],
        }

    def merge_wire(self, wire: Mapping[str, Any]) -> None:
        """Add what ``to_wire`` produced in a worker."""
        from ..cassettes.drift import Drift

        self.cassettes.update(wire["cassettes"])
        self.drifts.extend(Drift.from_json(entry) for entry in wire["drifts"])


@pytest.hookimpl(specname="pytest_addoption")
def pytest_addoption_verify(parser: pytest.Parser) -> None:
    """``--verify-cassettes[=strict]`` and ``--drift-report=PATH``."""
    group = parser.getgroup("recording")
    group.addoption(
        "--verify-cassettes",
        action="store_true",
        default=False,
        dest="verify_cassettes",
        help="Run cassette tests live and fail those whose service drifted from the cassette "
        "(cassettes are never written).",
    )
    group.addoption(  # argparse takes an exact option string before splitting at "="
        "--verify-cassettes=strict",
        action="store_true",
        default=False,
        dest="verify_cassettes_strict",
        help="Like --verify-cassettes, and changed values in unchanged shapes fail too.",
    )
    group.addoption(
        "--drift-report",
        action="store",
        default=None,
        metavar="PATH",
        help="With --verify-cassettes: write every drifted interaction to PATH (JSON).",
    )


@pytest.hookimpl(specname="pytest_configure")
def pytest_configure_verify(config: pytest.Config) -> None:
    """Refuse contradicting options; start the log of a verify run."""
    strict = bool(config.getoption("verify_cassettes_strict", default=False))
    if not strict and not config.getoption("verify_cassettes", default=False):
        if config.getoption("drift_report", default=None) is not None:
            raise pytest.UsageError("--drift-report needs --verify-cassettes")
        return
    record_mode = config.getoption("record_mode", default=None)
    if record_mode not in (None, "none"):
        raise pytest.UsageError(
            f"--verify-cassettes never writes cassettes; it cannot run with "
            f"--record-mode={record_mode}. Re-record with --record-mode=rewrite on its own."
        )
    config.stash[_LOG] = VerifyLog(strict)


def verifying(config: pytest.Config) -> bool:
    """Whether this run verifies cassettes (``--verify-cassettes``)."""
    return _LOG in config.stash


def _shown(path: str, root: Path) -> str:
    try:
        return os.fspath(Path(path).relative_to(root))
    except ValueError:
        return path


def verify_cassette(item: pytest.Item, path: str, options: Mapping[str, Any]) -> Iterator[Cassette]:
    """The cassette fixture in verify mode: the test runs live through a recording cassette
    without a file (cassette ``options`` as in normal mode); at teardown its interactions
    are verified against its cassette file ``path``, then its extra ones.
    """
    from ..cassettes import Cassette
    from ..cassettes.drift import VerifyIgnore
    from ..cassettes.matching import DEFAULT_MATCH_ON
    from ..cassettes.verify import format_failure, verify_files

    config = item.config
    log = config.stash[_LOG]
    options = dict(options)
    ignore = VerifyIgnore.from_config(options.pop("verify_ignore", None))
    paths = [Path(path), *options.pop("extra_paths", ())]
    for placed in ("test_id", "shared"):
        options.pop(placed, None)
    options["record_mode"] = "all"
    item.stash[_PATHS] = paths
    with Cassette(None, test_id=item.nodeid, **options) as live:
        yield live
    if not_passed(item) and not call_failed(item):
        return  # skipped (or its setup failed): it did not run to compare
    found = verify_files(
        paths,
        live.new_interactions,
        test=item.nodeid,
        match_on=options.get("match_on", DEFAULT_MATCH_ON),
        ignore=ignore,
        allow_playback_repeats=bool(options.get("allow_playback_repeats", False)),
    )
    root = config.rootpath
    drifts = [dataclasses.replace(d, cassette=_shown(d.cassette, root)) for d in found]
    log.cassettes.update(_shown(os.fspath(path), root) for path in paths)
    log.drifts.extend(drifts)
    failure = format_failure(drifts, strict=log.strict)
    if failure and not call_failed(item):
        pytest.fail(failure, pytrace=False)


def verified_hosts(item: pytest.Item) -> list[str]:
    """For ``--block-network``: patterns of the hosts (and their addresses) the cassettes of a
    test being verified talk to, which the live run must reach. Empty outside verify mode.
    Called once the test's cassette is set up (it notes the cassette paths).
    """
    if not verifying(item.config) or item.get_closest_marker("vcr") is None:
        return []
    from yarl import URL

    from ..cassettes import load_cassette

    hosts = {
        URL(interaction.request.uri, encoded=True).host
        for path in item.stash.get(_PATHS, [])
        for interaction in load_cassette(path)
    }
    names: set[str] = set()
    for host in filter(None, hosts):
        names.add(host)
        try:
            names.update(str(info[4][0]) for info in socket.getaddrinfo(host, None))
        except OSError:  # the live run will report it cannot resolve the host
            continue
    return [f"{re.escape(name)}$" for name in sorted(names)]


@pytest.hookimpl(specname="pytest_testnodedown", optionalhook=True)
def pytest_testnodedown_verify(node: Any, error: object | None) -> None:
    """xdist controller: add a finished worker's drifts to ours."""
    wire = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
    if wire is not None:
        node.config.stash[_LOG].merge_wire(wire)


@pytest.hookimpl(specname="pytest_sessionfinish")
def pytest_sessionfinish_verify(session: pytest.Session) -> None:
    """Send the drifts to the xdist controller, or write ``--drift-report``."""
    config = session.config
    log = config.stash.get(_LOG, None)
    if log is None:
        return
    if hasattr(config, "workerinput"):
        config.workeroutput[_WORKER_KEY] = log.to_wire()  # type: ignore[attr-defined]
        return
    target = config.getoption("drift_report", default=None)
    if target is not None:
        from ..cassettes.verify import merge, write_report

        write_report(config.invocation_params.dir / target, merge(log.drifts))


@pytest.hookimpl(specname="pytest_terminal_summary")
def pytest_terminal_summary_verify(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """``aiotape verify``: how many cassettes were verified, which drifted and how."""
    log = config.stash.get(_LOG, None)
    if log is None or hasattr(config, "workerinput"):
        return
    from ..cassettes.verify import summary_line

    count = len(log.cassettes)
    mode = " (strict)" if log.strict else ""
    terminalreporter.write_sep("-", "aiotape verify")
    terminalreporter.write_line(
        f"{count} cassette{'' if count == 1 else 's'} verified against the live service{mode}; "
        + summary_line(log.drifts)
    )
    target = config.getoption("drift_report", default=None)
    if target is not None:
        terminalreporter.write_line(f"drift report: {target}")
