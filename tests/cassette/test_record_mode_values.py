"""A cassette holds its record mode as the mode's value and hands out vcrpy's ``RecordMode``
enum, built when first asked for (a replay never builds it): a member, equal to its value."""

from __future__ import annotations

import enum

import pytest

import aiotape.cassettes
from aiotape.cassettes import Cassette, RecordMode, plan, record_mode
from tests.fresh_python import run_json


def test_record_mode_is_one_enum_wherever_it_is_imported_from() -> None:
    assert RecordMode is aiotape.cassettes.RecordMode is plan.RecordMode
    assert RecordMode is record_mode.RecordMode
    assert issubclass(RecordMode, str) and issubclass(RecordMode, enum.Enum)
    assert [m.value for m in RecordMode] == ["none", "once", "new_episodes", "all", "rewrite"]


def test_a_record_mode_equals_its_value_and_is_found_by_it() -> None:
    assert RecordMode("once") is RecordMode.ONCE
    assert RecordMode.ONCE == "once" and RecordMode.ONCE in {"once"}
    by_mode: dict[str, int] = {RecordMode.ALL: 1}
    assert by_mode["all"] == 1


@pytest.mark.parametrize("given", ["new_episodes", RecordMode.NEW_EPISODES])
def test_a_cassettes_record_mode_is_the_enum_member(given: str) -> None:
    cassette = Cassette(None, record_mode=given)
    assert cassette.record_mode is RecordMode.NEW_EPISODES
    cassette.record_mode = "all"
    assert cassette.record_mode is RecordMode.ALL


def test_the_default_record_mode_is_none() -> None:
    assert Cassette(None).record_mode is RecordMode.NONE


@pytest.mark.parametrize("given", ["ONCE", "bogus", ["once"]])
def test_an_unknown_record_mode_raises_the_enums_error(given: object) -> None:
    with pytest.raises(ValueError, match="is not a valid RecordMode"):
        Cassette(None, record_mode=given)  # type: ignore[arg-type]


def test_a_cassette_given_a_mode_as_a_string_builds_no_enum() -> None:
    script = """
        import json, sys
        from aiotape.cassettes import Cassette
        cassette = Cassette(None, record_mode="once")
        before = "aiotape.cassettes.record_mode" in sys.modules
        print(json.dumps([before, cassette.record_mode.name]))
    """
    assert run_json(script) == [False, "ONCE"]
