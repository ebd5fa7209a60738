"""A recorded suite and the live service it talks to, for ``--verify-cassettes`` tests.

``ThreadedService`` runs the drift service (``drift_service.make_app``) on its own thread, so
inner pytest runs (in process, or xdist workers) reach it while the test switches its version;
``write_suite`` writes the inner suite: tests marked ``vcr`` calling the service.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.plugin.inner import INI, run
from tests.servers import app_in_thread
from tests.verify.drift_service import Api, make_app

SUITE = """
import pytest
import aiotape

BASE = {base!r}


async def get(path):
    async with aiotape.ClientSession() as session:
        async with session.get(BASE + path) as response:
            return await response.json(content_type=None)


@pytest.mark.vcr
async def test_user():
    data = await get("/user")
    assert data["user"]["name"] == "Ada"
{extra_call}

@pytest.mark.vcr
async def test_static():
    assert await get("/static") == {{"status": "ok", "items": [1, 2]}}


@pytest.mark.vcr
async def test_chat():
    async with aiotape.ClientSession() as session:
        async with session.ws_connect(BASE + "/chat") as ws:
            assert (await ws.receive_json())["type"] == "welcome"
            await ws.send_str("hello")
            assert await ws.receive_str()
"""


@dataclass
class ThreadedService:
    """The drift service on 127.0.0.1, served from another thread."""

    api: Api
    url: str = ""


@contextmanager
def threaded_service() -> Iterator[ThreadedService]:
    """Start the service (version "v1") on its own thread; stop it on exit."""
    service = ThreadedService(Api())
    with app_in_thread(make_app(service.api)) as url:
        service.url = url
        yield service


def write_suite(pytester: pytest.Pytester, base: str, extra_call: str = "") -> None:
    """``test_api.py`` (and the shared ini): three cassette tests against ``base``."""
    pytester.makeini(INI)
    pytester.makepyfile(test_api=SUITE.format(base=base, extra_call=extra_call))


def cassettes(pytester: pytest.Pytester) -> dict[str, str]:
    """SHA-256 of every cassette file of the suite, by file name."""
    folder = pytester.path / "cassettes" / "test_api"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def record(pytester: pytest.Pytester) -> None:
    """Record the suite's cassettes (the service as it is now)."""
    run(pytester, "--record-mode=once").assert_outcomes(passed=3)


def cassette_path(pytester: pytest.Pytester, test: str) -> Path:
    return pytester.path / "cassettes" / "test_api" / f"{test}.yaml"
