"""A ``--verify-cassettes`` run: each cassette test's live cassette, compared at teardown, and the
run's drift log, which reports (terminal summary, ``--drift-report``, xdist workers' drifts).

Loaded by :func:`~.verify.pytest_configure_verify` in a verify run only; the log is then
registered as a plugin, so other runs pay nothing for its hooks.
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

__all__ = ["VerifyLog", "start_verifying", "verified_hosts", "verify_cassette"]

_LOG: pytest.StashKey[VerifyLog] = pytest.StashKey()
_PATHS: pytest.StashKey[list[Path]] = pytest.StashKey()
_WORKER_KEY = "aiotape_drift"


class VerifyLog:
    """A verify run: strict or not, the cassettes verified and the drifts found; registered as
    a plugin, it reports them."""

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

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        """xdist controller: add a finished worker's drifts to ours."""
        wire = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
        if wire is not None:
            self.merge_wire(wire)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Send the drifts to the xdist controller, or write ``--drift-report``."""
        config = session.config
        if hasattr(config, "workerinput"):
            config.workeroutput[_WORKER_KEY] = self.to_wire()  # type: ignore[attr-defined]
            return
        target = config.getoption("drift_report", default=None)
        if target is not None:
            from ..cassettes.verify import merge, write_report

            write_report(config.invocation_params.dir / target, merge(self.drifts))

    def pytest_terminal_summary(
        self, terminalreporter: pytest.TerminalReporter, config: pytest.Config
    ) -> None:
        """``aiotape verify``: how many cassettes were verified, which drifted and how."""
        if hasattr(config, "workerinput"):
            return
        from ..cassettes.verify import summary_line

        count = len(self.cassettes)
        mode = " (strict)" if self.strict else ""
        terminalreporter.write_sep("-", "aiotape verify")
        terminalreporter.write_line(
            f"{count} cassette{'' if count == 1 else 's'} verified against the live service"
            f"{mode}; " + summary_line(self.drifts)
        )
        target = config.getoption("drift_report", default=None)
        if target is not None:
            terminalreporter.write_line(f"drift report: {target}")


def start_verifying(config: pytest.Config, strict: bool) -> None:
    """Start the drift log of this verify run and register its reporting hooks."""
    log = config.stash[_LOG] = VerifyLog(strict)
    config.pluginmanager.register(log, "aiotape-verify-log")


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
    """For ``--block-network`` in verify mode: patterns of the hosts (and their addresses) the
    cassettes of the test talk to, which the live run must reach (none for a test without a
    cassette). Called once the test's cassette is set up (it notes the cassette paths).
    """
    if item.get_closest_marker("vcr") is None:
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


