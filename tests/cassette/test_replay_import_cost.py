"""A replay from the compiled cache imports neither YAML nor the recording machinery, and the
pytest plugin imports no cassette module until a test uses one: each checked in a fresh
interpreter (structural checks, never timings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiotape.cassettes import Interaction, RecordedRequest, RecordedResponse, dumps, load_cassette
from tests.fresh_python import run_json

REPLAY_LAZY = (
    "yaml",
    "http",
    "aiotape.client.simulation",
    "aiotape.client.ws_messages",
    "aiotape.client.ws_types",
    "aiotape.cassettes.complaints",
    "aiotape.cassettes.drift",
    "aiotape.cassettes.failures",
    "aiotape.cassettes.format",
    "aiotape.cassettes.prune",
    "aiotape.cassettes.record_mode",
    "aiotape.cassettes.recorder",
    "aiotape.cassettes.safe_yaml",
    "aiotape.cassettes.verify",
    "aiotape.cassettes.ws_replay",
)

_REPLAY = """
    import asyncio, json, sys
    import aiotape
    from aiotape.cassettes import use_cassette

    async def main():
        with use_cassette({path!r}):
            async with aiotape.ClientSession() as session:
                async with session.get("http://127.0.0.1:9/item") as response:
                    assert await response.read() == b"hello"

    asyncio.run(main())
    print(json.dumps({{"loaded": [name for name in {names!r} if name in sys.modules]}}))
"""


@pytest.fixture
def cached_cassette(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A one-GET cassette whose compiled form is already in a private cache directory."""
    cache = str(tmp_path / "cache")
    monkeypatch.setenv("AIOTAPE_CACHE_DIR", cache)
    path = tmp_path / "c.yaml"
    recorded = Interaction(
        RecordedRequest("GET", "http://127.0.0.1:9/item"),
        RecordedResponse(200, "OK", (("Content-Length", "5"),), (b"hello",)),
    )
    path.write_text(dumps([recorded]))
    assert load_cassette(path) == [recorded]  # parsed once: the compiled form is cached
    return path, cache


def test_a_replay_from_the_cache_imports_no_yaml_or_recorder(
    cached_cassette: tuple[Path, str],
) -> None:
    path, cache = cached_cassette
    answer = run_json(_REPLAY.format(path=str(path), names=REPLAY_LAZY), AIOTAPE_CACHE_DIR=cache)
    assert answer == {"loaded": []}


def test_the_first_recording_cassette_imports_the_recorder(tmp_path: Path) -> None:
    script = f"""
        import json, sys
        from aiotape.cassettes import use_cassette

        before = "aiotape.cassettes.recorder" in sys.modules
        with use_cassette({str(tmp_path / "new.yaml")!r}, record_mode="once"):
            pass
        print(json.dumps([before, "aiotape.cassettes.recorder" in sys.modules]))
    """
    assert run_json(script) == [False, True]


def test_the_pytest_plugin_imports_no_cassette_module() -> None:
    script = """
        import json, sys
        import aiotape.pytest_plugin
        print(json.dumps(sorted(m for m in sys.modules if m.startswith("aiotape.cassettes")
                                or m == "yaml")))
    """
    assert run_json(script) == []


def test_the_timeout_and_yaml_modules_of_a_replay_build_no_websocket_type() -> None:
    """A replay that overshoots a timeout imports ``simulation``, a cold one ``format``: neither
    builds the websocket types."""
    script = """
        import json, sys
        import aiotape.client.simulation, aiotape.cassettes.format
        print(json.dumps([m for m in ("aiotape.client.ws_messages", "aiotape.client.ws_types")
                          if m in sys.modules]))
    """
    assert run_json(script) == []
