"""The end-of-run summary and the --cassette-usage file, checked by running inner tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiotape.pytest_plugin.summary import CassetteUse, MockUse, RunLog, summary_lines
from tests.plugin.inner import NO_RECORDING, LiveServer, inner_tests, run, write_cassette

pytest_plugins = ["pytester"]


def test_replayed_cassettes_are_counted_in_one_line(pytester: pytest.Pytester) -> None:
    write_cassette(pytester, "test_a", "/a")
    write_cassette(pytester, "test_b", "/b")
    inner_tests(
        pytester,
        """
@pytest.mark.vcr
async def test_a():
    await fetch("/a")

@pytest.mark.vcr
async def test_b():
    await fetch("/b")
""",
    )
    result = run(pytester)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*- aiotape -*",
            "aiotape: 2 cassettes (2 replayed, 0 recorded), 0 new interactions, "
            "0 unused interactions",
        ]
    )


def test_recording_counts_the_new_cassette_and_its_interactions(
    pytester: pytest.Pytester,
    live_server: LiveServer,
) -> None:
    inner_tests(
        pytester,
        f"""
@pytest.mark.vcr
async def test_records():
    async with aiotape.ClientSession() as session:
        for path in ("/one", "/two"):
            async with session.get({live_server.url!r} + path) as resp:
                await resp.read()
""",
    )
    result = run(pytester, "--record-mode=once")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["aiotape: 1 cassette (0 replayed, 1 recorded), 2 new interactions, 0 unused interactions"]
    )


def test_interactions_never_played_are_counted_unused(pytester: pytest.Pytester) -> None:
    write_cassette(pytester, "test_partly", "/a", "/b", "/c")
    inner_tests(
        pytester,
        """
@pytest.mark.vcr
async def test_partly():
    await fetch("/b")
""",
    )
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["aiotape: 1 cassette (1 replayed, 0 recorded), 0 new interactions, 2 unused interactions"]
    )


def test_mock_routes_never_called_are_counted(pytester: pytest.Pytester) -> None:
    inner_tests(
        pytester,
        """
@pytest.mark.http_mock(assert_all_called=False)
async def test_mocked(http_mock):
    http_mock.get("http://api.test/a", text="/a")
    http_mock.get("http://api.test/never")
    await fetch("/a")

def test_mock_unused_by_nobody(http_mock):
    pass
""",
    )
    result = run(pytester)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["aiotape: http_mock: 2 tests, 1 unused route"])


def test_verbose_lists_unused_interactions_and_unused_routes(pytester: pytest.Pytester) -> None:
    write_cassette(pytester, "test_both", "/a", "/b", "/c")
    inner_tests(
        pytester,
        """
@pytest.mark.vcr
async def test_both():
    await fetch("/b")

@pytest.mark.http_mock(assert_all_called=False)
def test_mock(http_mock):
    http_mock.ws("ws://api.test/chat", lambda ws: None)
""",
    )
    result = run(pytester, "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "aiotape: 1 cassette (1 replayed, 0 recorded), 0 new interactions, "
            "2 unused interactions; http_mock: 1 test, 1 unused route",
            "  cassettes/test_inner/test_both.yaml: 2 unused interactions (#0, #2)",
            "  test_inner.py::test_mock: unused route websocket GET ws://api.test/chat",
        ]
    )


def test_nothing_is_printed_when_no_test_uses_aiotape(pytester: pytest.Pytester) -> None:
    inner_tests(pytester, "def test_plain():\n    pass\n")
    result = run(pytester, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*- aiotape -*")
    result.stdout.no_fnmatch_line("aiotape:*")


def test_verbose_summary_names_recorded_and_extended_cassettes() -> None:
    log = RunLog(
        cassettes=[
            CassetteUse("/root/c/new.yaml", "t.py::test_new", "recorded", new=2),
            CassetteUse("/root/c/more.yaml", "t.py::test_more", "replayed", 1, (0,), new=1),
        ],
        mocks=[MockUse("t.py::test_m", 1)],
    )
    assert summary_lines(log, verbose=True, root=Path("/root")) == [
        "aiotape: 2 cassettes (1 replayed, 1 recorded), 3 new interactions, "
        "0 unused interactions; http_mock: 1 test, 0 unused routes",
        "  c/more.yaml: 1 new interaction",
        "  c/new.yaml: recorded, 2 new interactions",
    ]


def test_one_cassette_shared_by_tests_counts_what_any_of_them_played() -> None:
    uses = [CassetteUse("/c/shared.yaml", f"t.py::test_{n}", "replayed", 4, (n,)) for n in range(3)]
    assert summary_lines(RunLog(cassettes=uses), verbose=True, root=Path("/c")) == [
        "aiotape: 1 cassette (1 replayed, 0 recorded), 0 new interactions, 1 unused interaction",
        "  shared.yaml: 1 unused interaction (#3)",
    ]


def test_usage_file_maps_each_cassette_to_the_interactions_played(
    pytester: pytest.Pytester,
) -> None:
    cassette = write_cassette(pytester, "test_partly", "/a", "/b", "/c")
    inner_tests(
        pytester,
        """
@pytest.mark.vcr
async def test_partly():
    await fetch("/c", "/a")
""",
    )
    run(pytester, "--cassette-usage=out/usage.json").assert_outcomes(passed=1)
    document = json.loads((pytester.path / "out" / "usage.json").read_text())
    entry = document["cassettes"][str(cassette)]
    assert document["version"] == 1
    assert (entry["interactions"], entry["played"]) == (3, [0, 2])
    assert (entry["written"], entry["complete"]) == (False, True)


def test_xdist_workers_are_aggregated_into_one_summary_and_usage_file(
    pytester: pytest.Pytester,
) -> None:
    cassette = write_cassette(pytester, "shared", "/0", "/1", "/2", "/3", "/4")
    tests = "".join(
        f"""
@pytest.mark.vcr
@pytest.mark.default_cassette("shared")
@pytest.mark.xdist_group("{group}")
async def test_{n}():
    await fetch("/{n}")
"""
        for n, group in enumerate(["even", "odd"] * 2)
    )
    inner_tests(pytester, tests)
    result = pytester.runpytest_subprocess(
        *NO_RECORDING, "-v", "-n", "2", "--dist=loadgroup", "--cassette-usage=usage.json"
    )
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "aiotape: 1 cassette (1 replayed, 0 recorded), 0 new interactions, "
            "1 unused interaction",
            "  cassettes/test_inner/shared.yaml: 1 unused interaction (#4)",
        ]
    )
    output = result.stdout.str()
    assert "[gw0]" in output and "[gw1]" in output  # both workers ran tests
    assert output.count("aiotape: ") == 1
    document = json.loads((pytester.path / "usage.json").read_text())
    assert document["cassettes"][str(cassette)]["played"] == [0, 1, 2, 3]
