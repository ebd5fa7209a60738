"""The drift report: its JSON, merging xdist workers' parts, the failure text and the summary."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aiotape.cassettes.drift import Change, Drift, VerifyIgnore
from aiotape.cassettes.verify import (
    discard_parts,
    format_drift,
    merge_parts,
    part_path,
    read_report,
    summary_line,
    verify,
    write_part,
    write_report,
)
from tests.verify.drift_service import Api, chat, get_user, record, run_live, serve


async def _drifts(tmp_path: Path, name: str, version: str, test: str) -> list[Drift]:
    """Record ``get_user`` (or the chat for ``ws-*``) on v1, run it on ``version``, verify."""
    scenario = chat if version.startswith("ws-") else get_user
    service = Api()
    async with serve(service) as base:
        path = tmp_path / "cassettes" / f"{name}.yaml"
        recorded = await record(path, scenario, base)
        service.version = version
        live = await run_live(scenario, base)
    return verify(recorded, live, test=test, cassette=path)


@pytest.fixture
async def two_workers(tmp_path: Path) -> AsyncIterator[tuple[list[Drift], list[Drift]]]:
    """Drifts as two xdist workers would find them: a removed key, then a status and a ws."""
    first = await _drifts(tmp_path, "user", "removed-key", "tests/test_b.py::test_user")
    second = [
        *await _drifts(tmp_path, "status", "status", "tests/test_a.py::test_status"),
        *await _drifts(tmp_path, "chat", "ws-reworded", "tests/test_a.py::test_chat"),
    ]
    yield first, second


async def test_report_is_a_json_list_with_every_field_of_every_change(
    two_workers: tuple[list[Drift], list[Drift]], tmp_path: Path
) -> None:
    first, _ = two_workers
    report = tmp_path / "out" / "drift.json"
    write_report(report, first)
    document = json.loads(report.read_text())
    assert [sorted(entry) for entry in document] == [
        ["cassette", "changes", "interaction", "request", "test"]
    ]
    [entry] = document
    assert entry["test"] == "tests/test_b.py::test_user"
    assert entry["cassette"] == str(tmp_path / "cassettes" / "user.yaml")
    assert entry["interaction"] == 0
    assert entry["request"].startswith("GET http://127.0.0.1:")
    removed = {"kind": "body-schema", "path": "$.user.email", "recorded": "ada0@example.test"}
    assert {**removed, "live": None} in entry["changes"]
    assert all(
        sorted(change) == ["kind", "live", "path", "recorded"] for change in entry["changes"]
    )
    assert read_report(report) == first


async def test_workers_parts_merge_into_one_report_ordered_by_test(
    two_workers: tuple[list[Drift], list[Drift]], tmp_path: Path
) -> None:
    first, second = two_workers
    report = tmp_path / "drift.json"
    write_part(report, "gw0", first)
    write_part(report, "gw1", second)
    merged = merge_parts(report)
    assert [d.test for d in merged] == [
        "tests/test_a.py::test_chat",
        "tests/test_a.py::test_status",
        "tests/test_b.py::test_user",
    ]
    assert read_report(report) == merged
    assert merged == sorted([*first, *second], key=lambda d: d.test)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cassettes", "drift.json"]


async def test_stale_parts_of_an_earlier_run_can_be_discarded(
    two_workers: tuple[list[Drift], list[Drift]], tmp_path: Path
) -> None:
    first, second = two_workers
    report = tmp_path / "drift.json"
    write_part(report, "gw7", first)
    discard_parts(report)
    write_part(report, "gw0", second)
    assert merge_parts(report) == sorted(second, key=lambda d: d.test)


def test_parts_are_hidden_siblings_of_the_report(tmp_path: Path) -> None:
    report = tmp_path / "reports" / "drift.json"
    assert part_path(report, "gw3") == tmp_path / "reports" / ".drift.json.gw3.part.json"
    assert merge_parts(report) == []
    assert json.loads(report.read_text()) == []


async def test_failure_text_reads_like_an_assertion_diff(
    two_workers: tuple[list[Drift], list[Drift]],
) -> None:
    [drift] = two_workers[0]
    text = format_drift(drift)
    assert text.splitlines()[:3] == [
        "cassette drift in tests/test_b.py::test_user",
        f"  cassette:    {drift.cassette}",
        f"  interaction: #0 {drift.request}",
    ]
    assert (
        "  body-schema at $.user.email\n"
        '    - recorded: "ada0@example.test"\n'
        "    + live:     (absent)"
    ) in text
    assert "  body-value at $.user.id (passes)\n    - recorded: 1000\n    + live:     1001" in text
    assert "(passes)" not in format_drift(drift, strict=True)


async def test_failure_text_of_status_and_websocket_drift(
    two_workers: tuple[list[Drift], list[Drift]],
) -> None:
    status, ws = two_workers[1]
    assert "  status at status\n    - recorded: 200\n    + live:     503" in format_drift(status)
    assert '  ws at ws.recv[1]\n    - recorded: "HELLO"\n    + live:     "Hello there"' in (
        format_drift(ws)
    )


def test_long_values_are_cut_in_the_failure_text() -> None:
    drift = Drift("t", "c.yaml", 0, "GET /", (Change("body-value", "body", "x" * 1000, "y"),))
    line = format_drift(drift).splitlines()[4]
    assert line.endswith("... (802 more characters)")
    assert len(line) < 300


async def test_summary_counts_each_kind_per_cassette(
    two_workers: tuple[list[Drift], list[Drift]], tmp_path: Path
) -> None:
    first, second = two_workers
    line = summary_line([*first, *second], root=tmp_path)
    assert line == (
        "3 cassettes drifted: cassettes/chat.yaml (1 body-value, 1 ws), "
        "cassettes/status.yaml (1 status), cassettes/user.yaml (1 body-schema, 4 body-value)"
    )
    assert summary_line(first).startswith(f"1 cassette drifted: {tmp_path}/cassettes/user.yaml (")
    assert summary_line([]) == "no cassette drifted"


def test_unknown_verify_ignore_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown keys \\['json_path'\\]"):
        VerifyIgnore.from_config({"json_path": ["$.a"]})
    with pytest.raises(ValueError, match="list of strings"):
        VerifyIgnore.from_config({"headers": "X-Id"})
