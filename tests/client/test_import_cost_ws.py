"""The websocket side, the seam's protocols, the body decoders and the environment's proxies
(which a plain GET never imports: ``test_import_cost``) are still importable from every place
they were, built as aiohttp builds them, on first use; a replay builds no protocol either."""

from __future__ import annotations

import enum
from pathlib import Path

import aiohttp
import pytest

import aiotape
import aiotape.transport as public_seam
from aiotape.cassettes import Interaction, RecordedRequest, RecordedResponse, dumps
from aiotape.client import transport
from tests.fresh_python import run_json

FIRST_USE = (
    "aiotape.client.body_decoders",
    "aiotape.client.proxy_env",
    "aiotape.client.seam_protocols",
    "aiotape.client.websocket",
    "aiotape.client.ws_messages",
    "aiotape.client.ws_opening",
    "aiotape.client.ws_types",
)


@pytest.mark.parametrize(
    ("use", "module"),
    [
        ("aiotape.WSMsgType.TEXT", "aiotape.client.ws_messages"),
        ("from aiotape.client.transport import WSCloseCode", "aiotape.client.ws_types"),
        ("aiotape.Transport", "aiotape.client.seam_protocols"),
        ("from aiotape.client.transport import BodyStream", "aiotape.client.seam_protocols"),
        ("aiotape.ClientWebSocketResponse", "aiotape.client.websocket"),
        ("aiotape.client.decoders.make_decoder('gzip')", "aiotape.client.body_decoders"),
        (
            "aiotape.ClientSession().ws_connect('ws://127.0.0.1:1/').close()",
            "aiotape.client.ws_opening",
        ),
    ],
)
def test_each_is_built_by_its_first_use(use: str, module: str) -> None:
    answer = run_json(
        f"""
        import json, sys, warnings
        warnings.simplefilter("ignore")
        import aiotape
        aiotape.ClientSession
        before = {module!r} in sys.modules
        {use}
        print(json.dumps([before, {module!r} in sys.modules]))
        """
    )
    assert answer == [False, True]


@pytest.mark.parametrize("name", ["WSMsgType", "WSCloseCode"])
def test_the_lazy_enums_are_aiohttps_int_enums(name: str) -> None:
    ours, theirs = getattr(aiotape, name), getattr(aiohttp, name)
    assert issubclass(ours, enum.IntEnum)
    assert ours is getattr(transport, name) is getattr(public_seam, name)
    assert dict(ours.__members__.items()).keys() == dict(theirs.__members__.items()).keys()
    assert [(m.name, int(m)) for m in ours.__members__.values()] == [
        (m.name, int(m)) for m in theirs.__members__.values()
    ]


def test_the_seam_names_are_the_same_objects_everywhere() -> None:
    for name in ("Transport", "WSMessage", "WSOptions", "WebSocketChannel"):
        assert getattr(transport, name) is getattr(public_seam, name)
    assert aiotape.WSMessage is transport.WSMessage
    assert aiohttp.WSMessage(aiohttp.WSMsgType.CLOSED, None, None) == transport.CLOSED
    assert {"WSMsgType", "Transport", "BodyStream"} <= set(dir(transport))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        transport.Nope  # noqa: B018


async def test_ws_response_class_defaults_to_clientwebsocketresponse() -> None:
    async with aiotape.ClientSession() as session:
        assert session._ws_response_class is None  # the default: built by the first ws_connect
    with pytest.raises(TypeError, match="ws_response_class must be"):
        aiotape.ClientSession(ws_response_class=int)  # type: ignore[arg-type]


def test_a_replayed_get_builds_no_protocol_or_websocket_channel(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    recorded = Interaction(
        RecordedRequest("GET", "http://127.0.0.1:9/item"),
        RecordedResponse(200, "OK", (("Content-Length", "5"),), (b"hello",)),
    )
    path.write_text(dumps([recorded]))
    loaded = run_json(
        f"""
        import asyncio, json, sys
        import aiotape
        from aiotape.cassettes import use_cassette

        async def main():
            with use_cassette({str(path)!r}):
                async with aiotape.ClientSession() as session:
                    async with session.get("http://127.0.0.1:9/item") as response:
                        assert await response.read() == b"hello"

        asyncio.run(main())
        print(json.dumps([name for name in {FIRST_USE!r} if name in sys.modules]))
        """,
        AIOTAPE_CACHE_DIR=str(tmp_path / "cache"),
    )
    assert loaded == []
