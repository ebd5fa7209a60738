"""``--record-mode`` spells RecordMode's values out (registering it must not import the
cassettes): the two lists must stay the same."""

from __future__ import annotations

from aiotape.cassettes import RecordMode
from aiotape.pytest_plugin import recording


def test_record_mode_choices_are_record_modes_values() -> None:
    assert tuple(mode.value for mode in RecordMode) == recording._RECORD_MODES
