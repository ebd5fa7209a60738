"""Interoperability with vcrpy: its aiohttp cassettes replay under aiotape, and vice versa."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

import aiotape
from aiotape.cassettes import use_cassette

vcr = pytest.importorskip("vcr")


async def _calls(module: Any, base: URL, *, gzip: bool = True) -> list[Any]:
    """The same calls through aiohttp or aiotape: plain, gzip, redirect, JSON POST, 404."""
    results: list[Any] = []
    async with module.ClientSession() as session:
        async with session.get(base / "get", params={"q": "1"}) as resp:
            results.append((resp.status, (await resp.json())["args"]))
        if gzip:
            async with session.get(base / "encoded/gzip") as resp:
                results.append((resp.status, await resp.json()))
        async with session.get(base / "redirect/1") as resp:
            results.append((resp.status, str(resp.url), (await resp.json())["path_qs"]))
        async with session.post(base / "post", json={"a": 1}) as resp:
            results.append((resp.status, (await resp.json())["json"]))
        async with session.get(base / "status/404") as resp:
            results.append((resp.status, await resp.text()))
    return results


async def test_vcrpy_aiohttp_cassette_replays_under_aiotape(httpbin: URL, tmp_path: Path) -> None:
    path = tmp_path / "vcrpy.yaml"
    with vcr.use_cassette(str(path), record_mode="once"):
        recorded = await _calls(aiohttp, httpbin)
    with use_cassette(path):
        replayed = await _calls(aiotape, httpbin)
    assert replayed == recorded


async def test_aiotape_cassette_replays_under_vcrpy_with_aiohttp(
    httpbin: URL, tmp_path: Path
) -> None:
    """Plain (not content-encoded) responses: vcrpy's aiohttp stubs never decompress bodies."""
    path = tmp_path / "aiotape.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = await _calls(aiotape, httpbin, gzip=False)
    with vcr.use_cassette(str(path), record_mode="none"):
        replayed = await _calls(aiohttp, httpbin, gzip=False)
    assert replayed == recorded
