"""``pytest --verify-cassettes``: cassette tests run live, and drift from the recordings fails them.

In verify mode the cassette fixture hands every ``@pytest.mark.vcr`` test a recording cassette
with no file (:func:`verify_cassette`): the test talks to the real service, filtered and
redacted as when it was recorded, and at teardown its live interactions are compared with the
cassette files (:func:`aiotape.cassettes.verify.verify_files`). Failing drift (status, header,
body-schema, ws, missing, extra; body-value too with ``--verify-cassettes=strict``) fails the
test at teardown with an assertion-style diff. Cassettes are never written.

The terminal summary lists the drifted cassettes; ``--drift-report=PATH`` writes every drift as
JSON. Under ``pytest -n`` workers ship their drifts to the controller (``workeroutput``).

Every run loads this module's options and checks; a verify run alone loads
:mod:`.verify_run`, which verifies and reports.
"""

from __future__ import annotations

import pytest

__all__ = ["pytest_addoption_verify", "pytest_configure_verify"]  # and verifying

_VERIFYING: pytest.StashKey[bool] = pytest.StashKey()


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
    from .verify_run import start_verifying

    config.stash[_VERIFYING] = True
    start_verifying(config, strict)


def verifying(config: pytest.Config) -> bool:
    """Whether this run verifies cassettes (``--verify-cassettes``)."""
    return _VERIFYING in config.stash
