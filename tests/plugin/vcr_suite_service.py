"""A small aiohttp.web service on its own thread, for pytester suites run in a subprocess.

It answers gzip-compressed JSON (for ``decode_compressed_response``), echoes a tenant header
and counts every hit, so a test can tell a replay (no hits) from a live run.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web

__all__ = ["Service", "running_service"]


@dataclass
class Service:
    """The running service: its base URL and the path of every request it served."""

    url: str = ""
    hits: list[str] = field(default_factory=list)


def _app(service: Service) -> web.Application:
    async def items(request: web.Request) -> web.Response:
        service.hits.append(request.path_qs)
        body = gzip.compress(
            json.dumps({"items": [1, 2, 3], "tenant": request.headers.get("X-Tenant")}).encode()
        )
        return web.Response(
            body=body, content_type="application/json", headers={"Content-Encoding": "gzip"}
        )

    async def hello(request: web.Request) -> web.Response:
        service.hits.append(request.path_qs)
        return web.Response(text=f"hello {request.match_info['name']}")

    app = web.Application()
    app.router.add_get("/items", items)
    app.router.add_get("/hello/{name}", hello)
    return app


@contextmanager
def running_service() -> Iterator[Service]:
    """Serve on 127.0.0.1 (a free port) until the block ends."""
    service = Service()
    started: queue.Queue[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = queue.Queue()

    async def serve() -> None:
        runner = web.AppRunner(_app(service), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        service.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        stop = asyncio.Event()
        started.put((asyncio.get_running_loop(), stop))
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    thread = threading.Thread(target=asyncio.run, args=(serve(),))
    thread.start()
    loop, stop = started.get()
    try:
        yield service
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join()
