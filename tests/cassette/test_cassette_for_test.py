"""``Cassette.for_test``, the plugin's cassette for a test that configures none, is the
cassette ``Cassette(path, record_mode=..., test_id=..., shared=...)`` builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiotape.cassettes import Cassette, RecordedRequest, dumps
from aiotape.cassettes.model import Interaction, RecordedResponse


def _state(cassette: Cassette) -> dict[str, Any]:
    """Every attribute, the loaded records and the playback's standing in for themselves."""
    state = dict(vars(cassette))
    playback = state.pop("_playback")
    state["played"] = None if playback is None else (len(playback), playback.play_count)
    state["_base"] = list(state["_base"])
    return state


@pytest.mark.parametrize("mode", ["none", "once", "new_episodes", "all", "rewrite"])
@pytest.mark.parametrize("exists", [True, False])
def test_for_test_builds_the_cassette_the_constructor_builds(
    tmp_path: Path, mode: str, exists: bool
) -> None:
    path = tmp_path / "c.yaml"
    if exists:
        request = RecordedRequest("GET", "http://127.0.0.1/a")
        path.write_text(dumps([Interaction(request, RecordedResponse(200, "OK"))]))
    built = Cassette(str(path), record_mode=mode, test_id="t.py::test", shared=True)
    fast = Cassette.for_test(str(path), mode, "t.py::test", True)
    assert set(vars(fast)) == set(vars(built))
    mine, theirs = _state(fast), _state(built)
    recorders = mine.pop("_recorder"), theirs.pop("_recorder")
    assert (recorders[0] is None) == (recorders[1] is None)
    assert mine == theirs
    assert fast.replaying == built.replaying and fast.existed == built.existed == exists


def test_for_test_refuses_an_unknown_record_mode(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Cassette.for_test(str(tmp_path / "c.yaml"), "sometimes", "t.py::test", False)
    with pytest.raises(ValueError):
        Cassette(str(tmp_path / "c.yaml"), record_mode="sometimes")
