"""The README's migration table: every snippet in its "with aiotape" column runs as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import aiotape
from aiotape.cassettes import VCR, Cassette, Interaction, RecordedRequest, RecordedResponse, dumps
from aiotape.mocking import CallbackResult, MockRouter

README = Path(__file__).resolve().parents[2] / "README.md"
URL = "http://api.test/items"


def _table_rows() -> list[tuple[str, list[str]]]:
    """(left cell, code spans of the right cell) per row of the migration table."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Coming from vcrpy / pytest-recording / aioresponses", 1)[1]
    rows = [line for line in section.split("\n\n", 2)[1].splitlines() if line.startswith("| ")]
    table = []
    for row in rows[1:]:  # rows[0] is the header
        left, right = row.strip().strip("|").split(" | ")
        table.append((left.strip(), re.findall(r"`([^`]+)`", right)))
    return table


def _runnable(code: str) -> str:
    """A decorator decorates a function; a block header gets a body."""
    if code.startswith("@"):
        return code + "\ndef _decorated(): pass"
    if code.rstrip().endswith(":"):
        return code + "\n    pass"
    return code


def _callback(url: Any, **kwargs: Any) -> CallbackResult:
    return CallbackResult(status=200, payload={"from": "callback"})


def _same_tenant(r1: Any, r2: Any) -> bool:
    return bool(r1.headers.get("X-Tenant") == r2.headers.get("X-Tenant"))


async def _namespace(tmp_path: Path, router: MockRouter) -> dict[str, Any]:
    """What the snippets refer to: a mock router, a called route, a replayed cassette..."""
    route = router.post("http://api.test/orders", json={"ok": True})
    async with aiotape.ClientSession(transport=router) as session:
        await session.post("http://api.test/orders", json={"id": 1})
    path = tmp_path / "played.yaml"
    recorded = RecordedRequest("GET", "http://api.test/played")
    path.write_text(dumps([Interaction(recorded, RecordedResponse(200, "OK"))]))
    with Cassette(path) as vcr:
        async with aiotape.ClientSession() as session:
            await session.get("http://api.test/played")
    return {
        "aiotape": aiotape,
        "pytest": pytest,
        "http_mock": router,
        "MockRouter": MockRouter,
        "url": URL,
        "cb": _callback,
        "same_tenant": _same_tenant,
        "route": route,
        "vcr": vcr,
    }


def test_the_table_has_snippets_for_every_habit() -> None:
    rows = _table_rows()
    assert len(rows) >= 15
    assert sum(len(spans) for _, spans in rows) >= 18


async def test_every_snippet_of_the_aiotape_column_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    router = MockRouter(assert_all_called=False)
    namespace = await _namespace(tmp_path, router)
    for left, spans in _table_rows():
        for code in spans:
            try:
                exec(compile(_runnable(code), "README.md", "exec"), namespace)
            except Exception as exc:
                raise AssertionError(f"README snippet for {left!r} fails: {code}") from exc
    hook = namespace["pytest_recording_configure"]
    registry = VCR()
    hook(config=None, vcr=registry)
    assert registry.matchers == {"tenant": _same_tenant}
    assert isinstance(namespace["my_vcr"], VCR)
    async with aiotape.ClientSession(transport=router) as session:
        async with session.get(URL) as response:  # the first route for the URL answers first
            assert await response.json() == {"id": 1}
