"""The plan step: a record mode and whether the cassette file exists decide what a cassette does."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiotape.cassettes import Cassette, RecordMode
from aiotape.cassettes.plan import Plan, plan

PLANS = [
    # mode, file exists -> replay, record, keep what the file holds
    (RecordMode.NONE, True, Plan(replay=True, record=False, keep_recorded=True)),
    (RecordMode.NONE, False, Plan(replay=True, record=False, keep_recorded=True)),
    (RecordMode.ONCE, True, Plan(replay=True, record=False, keep_recorded=True)),
    (RecordMode.ONCE, False, Plan(replay=False, record=True, keep_recorded=True)),
    (RecordMode.NEW_EPISODES, True, Plan(replay=True, record=True, keep_recorded=True)),
    (RecordMode.NEW_EPISODES, False, Plan(replay=True, record=True, keep_recorded=True)),
    (RecordMode.ALL, True, Plan(replay=False, record=True, keep_recorded=True)),
    (RecordMode.ALL, False, Plan(replay=False, record=True, keep_recorded=True)),
    (RecordMode.REWRITE, True, Plan(replay=False, record=True, keep_recorded=False)),
    (RecordMode.REWRITE, False, Plan(replay=False, record=True, keep_recorded=False)),
]


@pytest.mark.parametrize(("mode", "exists", "expected"), PLANS)
def test_plan_follows_vcrpy_record_modes(mode: RecordMode, exists: bool, expected: Plan) -> None:
    assert plan(mode, exists) == expected


@pytest.mark.parametrize(("mode", "exists", "expected"), PLANS)
def test_cassette_replays_and_records_as_planned(
    tmp_path: Path, mode: RecordMode, exists: bool, expected: Plan
) -> None:
    path = tmp_path / "c.yaml"
    if exists:
        path.write_text("interactions: []\nversion: 1\n", encoding="utf-8")
    cassette = Cassette(path, record_mode=mode.value)
    assert cassette.existed is exists
    assert cassette.replaying is expected.replay
    assert cassette.write_protected is not expected.record
