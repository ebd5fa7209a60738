"""The public seam module: its names, and the custom transport its docstring shows."""

from __future__ import annotations

import textwrap
from typing import Any

import aiotape
import aiotape.transport
from aiotape.client import transport as internal


def _docstring_example() -> str:
    doc = aiotape.transport.__doc__
    assert doc is not None
    return textwrap.dedent(doc.split("::\n", 1)[1])


def test_every_public_name_is_the_seams_own_object() -> None:
    for name in aiotape.transport.__all__:
        assert getattr(aiotape.transport, name) is getattr(internal, name)


async def test_docstring_transport_answers_a_session_request() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_docstring_example(), "aiotape.transport example", "exec"), namespace)
    assert isinstance(namespace["Echo"](), aiotape.transport.Transport)
    assert await namespace["main"]() == "http://echo.test/hi"


async def test_docstring_transport_serves_every_session_through_use_transport() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_docstring_example(), "aiotape.transport example", "exec"), namespace)
    with aiotape.transport.use_transport(namespace["Echo"]()):
        async with aiotape.ClientSession() as session, session.get("http://echo.test/x") as resp:
            assert await resp.text() == "http://echo.test/x"
