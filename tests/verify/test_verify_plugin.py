"""``pytest --verify-cassettes``: a recorded suite re-run live against a service that changed.

Each test records the inner suite against the service's "v1", switches the service to another
version, runs the suite with ``--verify-cassettes`` and checks which tests fail, with which kind
of drift at which path, and that the cassettes are byte-identical afterwards.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugin.inner import INI, run
from tests.verify.verify_suite import (
    ThreadedService,
    cassette_path,
    cassettes,
    record,
    threaded_service,
    write_suite,
)

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def running() -> Iterator[ThreadedService]:
    with threaded_service() as service:
        yield service


@pytest.fixture
def service(running: ThreadedService) -> ThreadedService:
    """The module's service, back on v1."""
    running.api.version = "v1"
    return running


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the first test's recording is kept for the others of this module."""
    return tmp_path_factory.mktemp("recordings") / "cassettes"


@pytest.fixture
def recorded(pytester: pytest.Pytester, service: ThreadedService, recordings: Path) -> None:
    """The inner suite with its cassettes, recorded on v1 (once per module)."""
    write_suite(pytester, service.url)
    if not recordings.exists():
        record(pytester)
        shutil.copytree(pytester.path / "cassettes", recordings)
    else:
        shutil.copytree(recordings, pytester.path / "cassettes")


def verify(
    pytester: pytest.Pytester,
    service: ThreadedService,
    version: str,
    *args: str,
    flag: str = "--verify-cassettes",
) -> pytest.RunResult:
    """Switch the service to ``version`` and run the suite with ``flag`` and ``args``."""
    before = cassettes(pytester)
    service.api.version = version
    result = run(pytester, flag, *args)
    assert cassettes(pytester) == before  # verification never writes a cassette
    return result


def report(pytester: pytest.Pytester, service: ThreadedService, version: str) -> list[dict]:
    verify(pytester, service, version, "--drift-report=out/drift.json")
    document = json.loads((pytester.path / "out" / "drift.json").read_text())
    assert isinstance(document, list)
    return document


def kinds_and_paths(entries: list[dict], test: str) -> list[tuple[str, str]]:
    return [
        (change["kind"], change["path"])
        for entry in entries
        if entry["test"] == f"test_api.py::{test}"
        for change in entry["changes"]
    ]


@pytest.mark.usefixtures("recorded")
def test_new_values_dates_and_request_ids_pass(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    result = verify(pytester, service, "v1", "test_api.py")  # a path after the flag
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*- aiotape verify -*",
            "3 cassettes verified against the live service; 2 cassettes drifted: "
            "cassettes/test_api/test_chat.yaml (1 body-value), "
            "cassettes/test_api/test_user.yaml (5 body-value)",
        ]
    )


@pytest.mark.usefixtures("recorded")
def test_new_value_in_a_websocket_reply_is_body_value_drift(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    entries = report(pytester, service, "v1")
    assert kinds_and_paths(entries, "test_chat") == [("body-value", "ws.recv[0].session")]


@pytest.mark.usefixtures("recorded")
def test_removed_key_fails_as_body_schema_drift(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    result = verify(pytester, service, "removed-key")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_user*",
            "cassette drift in test_api.py::test_user",
            "  cassette:    cassettes/test_api/test_user.yaml",
            f"  interaction: #0 GET {service.url}/user",
            "  body-schema at $.user.email",
            '    - recorded: "ada0@example.test"',
            "    + live:     (absent)",
        ]
    )
    assert "body-value at $.user.id (passes)" in result.stdout.str()


@pytest.mark.usefixtures("recorded")
def test_type_change_fails_with_its_path(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    entries = report(pytester, service, "type-change")
    [change] = [
        c
        for entry in entries
        if entry["test"] == "test_api.py::test_user"
        for c in entry["changes"]
        if c["kind"] == "body-schema"
    ]
    assert change["path"] == "$.user.id"
    assert isinstance(change["recorded"], int) and isinstance(change["live"], str)


@pytest.mark.usefixtures("recorded")
def test_changed_status_fails_as_status_drift(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    result = verify(pytester, service, "status")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        ["  status at status", "    - recorded: 200", "    + live:     503"]
    )


@pytest.mark.usefixtures("recorded")
def test_reworded_websocket_reply_fails_as_ws_drift(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    entries = report(pytester, service, "ws-reworded")
    changes = [c for e in entries if e["test"] == "test_api.py::test_chat" for c in e["changes"]]
    assert {"kind": "ws", "path": "ws.recv[1]", "recorded": "HELLO", "live": "Hello there"} in (
        changes
    )


@pytest.mark.usefixtures("recorded")
def test_report_lists_every_drifted_interaction_once(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    entries = report(pytester, service, "removed-key")
    assert [(e["test"], e["cassette"], e["interaction"]) for e in entries] == [
        ("test_api.py::test_chat", "cassettes/test_api/test_chat.yaml", 0),
        ("test_api.py::test_user", "cassettes/test_api/test_user.yaml", 0),
    ]
    assert entries[1]["request"] == f"GET {service.url}/user"
    assert sorted(kinds_and_paths(entries, "test_user")) == [
        ("body-schema", "$.user.email"),
        ("body-value", "$.items[0].id"),
        ("body-value", "$.items[0].sku"),
        ("body-value", "$.meta.served"),
        ("body-value", "$.user.id"),
    ]
    assert {"kind", "path", "recorded", "live"} == set(entries[1]["changes"][0])


@pytest.mark.usefixtures("recorded")
def test_strict_mode_fails_on_changed_values(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    result = verify(pytester, service, "v1", flag="--verify-cassettes=strict")
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        ["  body-value at $.user.id", "*verified against the live service (strict)*"]
    )


@pytest.mark.usefixtures("recorded")
def test_unmatched_live_request_is_extra_and_unmade_one_missing(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    write_suite(pytester, service.url, extra_call='    await get("/static")')
    entries = report(pytester, service, "v1")
    extra = [e for e in entries if e["changes"][0]["kind"] == "extra"]
    assert [(e["test"], e["interaction"], e["request"]) for e in extra] == [
        ("test_api.py::test_user", None, f"GET {service.url}/static")
    ]
    assert not any(e["changes"][0]["kind"] == "missing" for e in entries)
    cassette_path(pytester, "test_static").unlink()
    write_suite(pytester, service.url)
    result = verify(pytester, service, "v1", "-k", "test_static")
    result.stdout.fnmatch_lines(
        ["  extra at interaction", f'    + live:     "GET {service.url}/static"']
    )


@pytest.mark.usefixtures("recorded")
def test_per_cassette_ignores_come_from_vcr_config(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    pytester.makeconftest(
        """
import pytest

@pytest.fixture
def vcr_config():
    return {"verify_ignore": {"json_paths": ["$.user.email", "ws.recv[0].session"]}}
"""
    )
    verify(pytester, service, "removed-key").assert_outcomes(passed=3)


@pytest.mark.usefixtures("recorded")
def test_block_network_lets_verified_tests_reach_their_cassettes_hosts_only(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    pytester.makepyfile(
        test_unrecorded=f"""
import aiotape

async def test_live():
    async with aiotape.ClientSession() as session:
        await session.get({service.url!r} + "/static")
"""
    )
    result = verify(pytester, service, "status", "--block-network")
    result.assert_outcomes(passed=3, failed=1, errors=1)
    result.stdout.fnmatch_lines(["E   *NetworkBlockedError: Network is disabled*"])


@pytest.mark.usefixtures("recorded")
def test_workers_drifts_merge_into_one_report_and_summary(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    result = verify(
        pytester,
        service,
        "removed-key",
        "-p",
        "xdist",
        "-n",
        "2",
        "-p",
        "no:benchmark",
        "--drift-report=drift.json",
    )
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["3 cassettes verified against the live service; 2 cassettes*"])
    entries = json.loads((pytester.path / "drift.json").read_text())
    assert [e["test"] for e in entries] == ["test_api.py::test_chat", "test_api.py::test_user"]


def test_record_mode_other_than_none_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    result = run(pytester, "--verify-cassettes", "--record-mode=once")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--verify-cassettes never writes cassettes*--record-mode=once*"])


def test_drift_report_without_verify_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    result = run(pytester, "--drift-report=d.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--drift-report needs --verify-cassettes*"])


@pytest.mark.usefixtures("recorded")
def test_a_test_failing_on_its_own_is_reported_once_and_its_drift_summarised(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    write_suite(pytester, service.url, extra_call='    assert "@" in data["user"]["email"]')
    result = verify(pytester, service, "removed-key")
    result.assert_outcomes(passed=2, failed=1)
    assert "cassette drift in" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*cassettes/test_api/test_user.yaml (1 body-schema, 4 body-value)*"]
    )


@pytest.mark.usefixtures("recorded")
def test_verify_mode_works_with_pytest_recording_loaded(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    before = cassettes(pytester)
    service.api.version = "status"
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--verify-cassettes")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["  status at status"])
    assert cassettes(pytester) == before


@pytest.mark.usefixtures("recorded")
def test_a_skipped_test_is_not_verified(
    pytester: pytest.Pytester, service: ThreadedService
) -> None:
    suite = pytester.path / "test_api.py"
    call = '    data = await get("/user")\n'
    suite.write_text(suite.read_text().replace(call, '    pytest.skip("not today")\n' + call))
    result = verify(pytester, service, "status")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["2 cassettes verified against the live service; 1 cassette*"])
