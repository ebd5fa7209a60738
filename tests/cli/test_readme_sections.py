"""The README's self-contained examples ("What works like aiohttp", "Writing your own
transport") run as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.servers import serve_app

README = Path(__file__).resolve().parents[2] / "README.md"


def _example(heading: str) -> dict[str, Any]:
    """The names the first python block under ``heading`` defines, once run."""
    section = README.read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1]
    code = section.split("```python\n", 1)[1].split("\n```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, f"README.md ({heading})", "exec"), namespace)
    return namespace


async def test_the_aiohttp_example_sends_through_middleware_tracing_and_compression(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "netrc").write_text("")
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))
    seen: list[tuple[str | None, str | None]] = []

    async def handler(request: web.Request) -> web.Response:
        body = await request.read()  # aiohttp.web decompresses the gzip body
        seen.append((request.headers.get("X-Request-Id"), request.headers.get("Content-Encoding")))
        return web.Response(text=f"{len(body)} bytes")

    app = web.Application()
    app.router.add_post("/", handler)
    async with serve_app(app) as base:
        await _example("What works like aiohttp")["main"](str(base))
    assert seen == [("42", "gzip")]
    assert capsys.readouterr().out.splitlines() == [f"POST {base}/ 200", "200 1000 bytes"]


async def test_the_transport_example_runs() -> None:
    await _example("Writing your own transport")["main"]()
