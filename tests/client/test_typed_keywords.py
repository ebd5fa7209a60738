"""Request and mock-route keywords are typed: a misspelt one fails ``mypy --strict``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

ROOT = Path(__file__).resolve().parents[2]

SNIPPET = """\
import aiotape
from aiotape.mocking import MockRouter


async def main(mock: MockRouter) -> None:
    mock.get("http://x.test/a", json=[1], status=201, repeat=True)
    mock.add("http://x.test/b", method="PATCH", match_headers={"X": "1"})
    mock.post("http://x.test/c", jsn=[1])  # line 8
    async with aiotape.ClientSession() as session:
        async with session.get("http://x.test/a", params={"q": "1"}, timeout=2.0) as resp:
            await resp.read()
        await session.post("http://x.test/c", json={}, allow_redirects=False)
        await session.get("http://x.test/a", alow_redirects=False)  # line 13
        await session.request("PUT", "http://x.test/a", daat=b"")  # line 14
    async with aiotape.request("GET", "http://x.test/a", cookies={"a": "b"}) as r:
        await r.read()
    await aiotape.request("GET", "http://x.test/a", header={})  # line 17
    async with aiotape.ClientSession() as session:
        async with session.ws_connect("ws://x.test", heartbeat=1.0, protocols=["p"]) as ws:
            await ws.close()
        await session.ws_connect("ws://x.test", hearbeat=1.0)  # line 21
"""


def test_misspelt_keywords_fail_strict_type_checking_and_correct_ones_pass(
    tmp_path: Path,
) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(SNIPPET)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            str(snippet),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "MYPYPATH": str(ROOT)},
        check=False,
    )
    errors = re.findall(
        r"snippet\.py:(\d+): error: Unexpected keyword argument \"(\w+)\"", result.stdout
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert sorted(errors) == [
        ("13", "alow_redirects"),
        ("14", "daat"),
        ("17", "header"),
        ("21", "hearbeat"),
        ("8", "jsn"),
    ], result.stdout
    assert result.stdout.count(": error:") == 5, result.stdout


def test_typing_extensions_is_not_imported_at_runtime() -> None:
    # aiohttp itself imports typing_extensions: keep it out so only aiotape's imports count.
    code = (
        "import sys; sys.modules['aiohttp'] = None\n"
        "import aiotape, aiotape.mocking, aiotape.transport\n"
        "print('typing_extensions' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "False"
