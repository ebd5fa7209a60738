"""Helpers for driving inner pytest runs (pytester) against the aiotape plugin."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from aiotape.cassettes import Interaction, RecordedRequest, RecordedResponse, dumps

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error::ResourceWarning
"""


@dataclass
class LiveServer:
    """An aiohttp.web server on its own thread, so pytester runs can block the main one."""

    url: str = ""
    hits: list[str] = field(default_factory=list)


API = "http://api.test"
NO_RECORDING = ("-p", "no:recording", "-p", "no:cacheprovider")

FETCH = f"""
import pytest
import aiotape

async def fetch(*paths, url={API!r}):
    async with aiotape.ClientSession() as session:
        for path in paths:
            async with session.get(url + path) as resp:
                assert await resp.text() == path
"""


def write_cassette(pytester: pytest.Pytester, name: str, *paths: str, url: str = API) -> Path:
    """``cassettes/test_inner/<name>.yaml`` answering GET ``url + path`` with ``path``."""
    interactions = [
        Interaction(
            RecordedRequest("GET", url + path),
            RecordedResponse(200, "OK", (("Content-Type", "text/plain"),), (path.encode(),)),
        )
        for path in paths
    ]
    target = pytester.path / "cassettes" / "test_inner" / f"{name}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dumps(interactions), encoding="utf-8")
    return target


def recorded_paths(pytester: pytest.Pytester, name: str, url: str) -> list[str]:
    """The request paths (``url`` cut off) recorded in ``cassettes/test_inner/<name>.yaml``."""
    path = pytester.path / "cassettes" / "test_inner" / f"{name}.yaml"
    interactions = yaml.safe_load(path.read_text())["interactions"]
    return [i["request"]["uri"].removeprefix(url) for i in interactions]


def inner_tests(pytester: pytest.Pytester, tests: str) -> None:
    """``test_inner.py``: ``fetch(*paths)`` plus ``tests``."""
    pytester.makeini(INI)
    pytester.makepyfile(test_inner=FETCH + tests)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(*NO_RECORDING, *args)
