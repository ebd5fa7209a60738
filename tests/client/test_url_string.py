"""``url_string(request)`` is ``str(request.url)``: for every URL a session sends (the string the
call gave, when it is spelled that way), for requests a transport or middleware rebuilds, and
for requests built by hand."""

from __future__ import annotations

import dataclasses
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

from aiotape import ClientSession
from aiotape.client.transport import url_string
from aiotape.transport import Request
from tests.transports import RecordingTransport

ORIGINS = st.sampled_from(
    [
        "http://127.0.0.1:8080",
        "http://127.0.0.1:80",
        "https://127.0.0.1:443",
        "https://localhost:80",
        "HTTP://LocalHost",
        "http://EXAMPLE.com",
        "http://example.com.",
        "http://[::1]:8080",
        "http://[::FFFF:127.0.0.1]",
        "http://bücher.example",
        "http://ex%41mple.com",
        "http://u:p@h",
    ]
)
PATHS = st.sampled_from(
    ["/", "/item/a-1", "/a/./b", "/.x", "/a b", "/a%2fb", "/a?q=1", "/a#f", "//x", "/é"]
)


@settings(max_examples=150, deadline=None)
@given(ORIGINS, PATHS, st.sampled_from(["GET", "HEAD", "get", "POST"]))
async def test_a_sent_url_reads_as_its_string(origin: str, path: str, method: str) -> None:
    transport = RecordingTransport()
    async with ClientSession(transport=transport) as session:
        for _ in range(2):  # first seen, then repeated
            async with session.request(method, origin + path) as resp:
                await resp.read()
    for sent in transport.requests:
        assert url_string(sent) == str(sent.url)


async def test_a_url_given_spelled_as_yarl_spells_it_is_carried_as_given() -> None:
    transport = RecordingTransport()
    # A URL no other test sends: sessions without options of their own share what they made.
    given_url = f"http://127.0.0.1:8080/item/{uuid.uuid4().hex}"
    async with ClientSession(transport=transport) as session:
        async with session.get(given_url) as resp:
            await resp.read()
    sent = transport.requests[0]
    assert url_string(sent) is given_url
    assert str(sent.url) == given_url


async def test_a_rebuilt_request_reads_its_own_url() -> None:
    transport = RecordingTransport()
    async with ClientSession(transport=transport) as session:
        async with session.get("http://127.0.0.1:8080/a") as resp:
            await resp.read()
    sent = transport.requests[0]
    moved = dataclasses.replace(sent, url=URL("http://127.0.0.1:8080/b"))
    assert url_string(moved) == "http://127.0.0.1:8080/b"
    assert moved == Request(**{f.name: getattr(moved, f.name) for f in dataclasses.fields(moved)})


def test_a_request_built_by_hand_reads_its_url() -> None:
    assert url_string(Request.build("GET", "HTTP://Example.com:80/x")) == "http://example.com/x"
