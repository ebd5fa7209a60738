"""The exception hierarchy is built on first use: importing aiotape and making requests that
succeed never imports aiohttp, and the first error still derives from aiohttp's classes.

Each case runs in a fresh interpreter, since this test process has imported both already.
"""

from __future__ import annotations

import textwrap
from typing import Any

from tests.fresh_python import run_json

SERVE = """
    import asyncio, json, pickle, sys, threading

    async def answer(reader, writer):
        while await reader.readuntil(b"\\r\\n\\r\\n"):
            writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")

    async def serve():
        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"

    def built():
        return "aiotape.client.base_exceptions" in sys.modules
"""


def _fresh(script: str) -> dict[str, Any]:
    """``SERVE`` + ``script`` in a new interpreter, aiohttp bases on; its JSON answer."""
    return run_json(textwrap.dedent(SERVE) + textwrap.dedent(script), AIOTAPE_AIOHTTP_BASES="1")


SUCCESSFUL_REQUESTS = """
    import aiotape

    async def main():
        server, url = await serve()
        async with server, aiotape.ClientSession() as client:
            for _ in range(2):
                async with client.get(url) as resp:
                    body = await resp.text()
        return body

    body = asyncio.run(main())
    print(json.dumps({
        "body": body,
        "aiohttp": "aiohttp" in sys.modules,
        "built": built(),
        "listed": "ClientError" in dir(aiotape.client.exceptions),
    }))
"""


def test_importing_and_successful_requests_never_import_aiohttp() -> None:
    answer = _fresh(SUCCESSFUL_REQUESTS)
    assert answer == {"body": "ok", "aiohttp": False, "built": False, "listed": True}


FIRST_ERROR = """
    import aiotape
    from aiotape import client_exceptions
    from aiotape.client import exceptions

    async def main():
        server, url = await serve()
        server.close()
        await server.wait_closed()
        async with aiotape.ClientSession() as client:
            try:
                await client.get(url)
            except aiotape.ClientConnectorError as exc:
                return exc

    before = built()
    error = asyncio.run(main())
    import aiohttp  # the caller's aiohttp-era handlers, imported after the error was raised

    cls = type(error)
    print(json.dumps({
        "built_before": before,
        "caught_by_aiohttp": isinstance(error, aiohttp.ClientConnectorError),
        "connection_error": isinstance(error, aiohttp.ClientConnectionError),
        "one_class": cls is aiotape.ClientConnectorError is client_exceptions.ClientConnectorError
        is exceptions.ClientConnectorError,
        "one_base": aiotape.ClientError is exceptions.ClientError is client_exceptions.ClientError
        and issubclass(cls, aiotape.ClientError),
        "module": cls.__module__,
        "pickled": type(pickle.loads(pickle.dumps(aiotape.ServerDisconnectedError()))).__name__,
        "pickled_same": type(pickle.loads(pickle.dumps(aiotape.ServerDisconnectedError())))
        is aiotape.ServerDisconnectedError,
    }))
"""


def test_first_error_builds_the_hierarchy_once_with_aiohttp_bases() -> None:
    assert _fresh(FIRST_ERROR) == {
        "built_before": False,
        "caught_by_aiohttp": True,
        "connection_error": True,
        "one_class": True,
        "one_base": True,
        "module": "aiotape.client.exceptions",
        "pickled": "ServerDisconnectedError",
        "pickled_same": True,
    }


RACING_THREADS = """
    import aiotape.client.exceptions as exceptions

    barrier = threading.Barrier(4)
    seen = []

    def first_use():
        barrier.wait()
        seen.append(exceptions.ClientError)

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"classes": len({id(cls) for cls in seen}), "seen": len(seen)}))
"""


def test_threads_racing_to_first_use_get_one_class() -> None:
    assert _fresh(RACING_THREADS) == {"classes": 1, "seen": 4}


def test_unix_connector_error_derives_from_aiohttps() -> None:
    from aiohttp import client_exceptions

    from aiotape.client import exceptions

    unix = exceptions.UnixClientConnectorError
    assert issubclass(unix, client_exceptions.UnixClientConnectorError)
    assert issubclass(unix, exceptions.ClientConnectorError)
    assert unix.__module__ == "aiotape.client.exceptions"
