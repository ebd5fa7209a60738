"""The seam's Request and Response are hand-written records: they behave as the (frozen) slots
dataclasses they were."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterable
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from aiotape.client.auth import BasicAuth
from aiotape.client.request_info import SSLSetting
from aiotape.client.timeouts import DEFAULT_TIMEOUT, ClientTimeout
from aiotape.client.transport import (
    BodyStream,
    ChunkedBody,
    Request,
    Response,
    TraceHooks,
    url_string,
)


@dataclasses.dataclass(frozen=True, slots=True)
class Reference:
    """Request's fields, declared as a plain frozen slots dataclass."""

    method: str
    url: URL
    headers: CIMultiDictProxy[str]
    body: bytes | AsyncIterable[bytes] = b""
    timeout: ClientTimeout = DEFAULT_TIMEOUT
    started: float = 0.0
    deadline: float | None = None
    ssl: SSLSetting = True
    server_hostname: str | None = None
    simulated_elapsed: float = 0.0
    trace: TraceHooks | None = None
    head_limits: tuple[int, int, int] | None = None
    version: tuple[int, int] = (1, 1)
    proxy: URL | None = None
    proxy_auth: BasicAuth | None = None
    proxy_headers: CIMultiDictProxy[str] | None = None


HEADERS = CIMultiDictProxy(CIMultiDict({"Host": "127.0.0.1"}))
ARGS: tuple[Any, ...] = ("GET", URL("http://127.0.0.1/a?b=1"), HEADERS)
OPTIONS: dict[str, Any] = {"body": b"x", "deadline": 3.5, "version": (1, 0), "proxy_auth": None}


def both(*args: Any, **kwargs: Any) -> tuple[Request, Reference]:
    return Request(*args, **kwargs), Reference(*args, **kwargs)


def same_declaration(made: type, reference: type) -> bool:
    """``made`` has ``reference``'s fields (names, defaults), match args and slots."""

    def shown(cls: type) -> list[tuple[str, object, object, bool]]:
        return [(f.name, f.default, f.default_factory, f.init) for f in dataclasses.fields(cls)]

    made_names = (made.__match_args__, made.__slots__)  # type: ignore[attr-defined]
    names = (reference.__match_args__, reference.__slots__)  # type: ignore[attr-defined]
    return shown(made) == shown(reference) and made_names == names


def test_fields_and_defaults_match_the_dataclass() -> None:
    assert same_declaration(Request, Reference)
    assert dataclasses.is_dataclass(Request)


@pytest.mark.parametrize("kwargs", [{}, OPTIONS])
def test_repr_astuple_and_asdict_match_the_dataclass(kwargs: dict[str, Any]) -> None:
    request, reference = both(*ARGS, **kwargs)
    assert repr(request) == repr(reference).replace("Reference(", "Request(", 1)
    plain = (("Host", "127.0.0.1"),)  # astuple and asdict deep-copy: a proxy cannot be copied
    request, reference = both("GET", ARGS[1], plain, **kwargs)
    assert dataclasses.astuple(request) == dataclasses.astuple(reference)
    assert dataclasses.asdict(request) == dataclasses.asdict(reference)


def test_equality_and_hash_go_by_fields() -> None:
    request, reference = both("GET", URL("http://127.0.0.1/"), HEADERS, **OPTIONS)
    twin = Request(**{name: getattr(request, name) for name in Request.__match_args__})
    assert request == twin
    assert not request != twin  # noqa: SIM202  # __ne__ too
    assert request != dataclasses.replace(request, deadline=4.0)
    assert request != reference  # another class: NotImplemented both ways, then identity
    with pytest.raises(TypeError, match="CIMultiDictProxy"):  # headers are unhashable...
        hash(request)
    with pytest.raises(TypeError, match="CIMultiDictProxy"):
        hash(reference)
    hashable = dataclasses.replace(request, headers=None)  # type: ignore[arg-type]
    assert hash(hashable) == hash(dataclasses.replace(reference, headers=None))  # type: ignore[arg-type]


def test_positional_and_keyword_arguments_are_the_dataclasses() -> None:
    values: list[Any] = [f"v{i}" for i in range(16)]
    positional, reference = both(*values)
    keyword = Request(**dict(zip(Request.__match_args__, values, strict=True)))
    assert dataclasses.astuple(positional) == dataclasses.astuple(reference) == tuple(values)
    assert positional == keyword
    with pytest.raises(TypeError):
        Request("GET", URL("http://127.0.0.1/"))  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Request(*values, "extra")  # type: ignore[call-arg]


def test_replace_keeps_the_rest_and_drops_the_spelled_url() -> None:
    request = Request.build("GET", "http://127.0.0.1/x", {"A": "1"}, started=2.0)
    object.__setattr__(request, "_url_text", "http://127.0.0.1/x")
    moved = dataclasses.replace(request, url=URL("http://127.0.0.1/y"))
    assert (moved.method, moved.started, moved.headers) == ("GET", 2.0, request.headers)
    assert url_string(moved) == "http://127.0.0.1/y"
    assert url_string(request) == "http://127.0.0.1/x"
    assert request == dataclasses.replace(request)


@pytest.mark.parametrize("name", ["method", "proxy_headers"])
def test_assigning_or_deleting_raises_frozen_instance_error(name: str) -> None:
    request, reference = both(*ARGS)
    for target in (request, reference):
        with pytest.raises(dataclasses.FrozenInstanceError) as assigned:
            setattr(target, name, "x")
        with pytest.raises(dataclasses.FrozenInstanceError) as deleted:
            delattr(target, name)
        assert str(assigned.value) == f"cannot assign to field {name!r}"
        assert str(deleted.value) == f"cannot delete field {name!r}"
    assert request.method == "GET"


def test_other_attributes_cannot_be_set_either() -> None:
    request = Request(*ARGS)  # (the slots dataclass raised TypeError here, a CPython 3.11 bug)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.other = 1


def test_match_and_build() -> None:
    built = Request.build("POST", "http://127.0.0.1/p?q=1", [("A", "1"), ("A", "2")], body=b"b")
    match built:
        case Request("POST", url, headers, body):
            expected = (URL("http://127.0.0.1/p?q=1"), ["1", "2"], b"b")
            assert (url, headers.getall("A"), body) == expected
        case _:
            pytest.fail("Request did not match by position")


@dataclasses.dataclass(slots=True)
class ResponseReference:
    """Response's fields, declared as a plain slots dataclass."""

    status: int
    reason: str
    headers: CIMultiDictProxy[str]
    body: BodyStream
    version: tuple[int, int] = (1, 1)
    raw_headers: tuple[tuple[bytes, bytes], ...] | None = ()
    simulated_elapsed: float = 0.0


def test_response_behaves_as_the_mutable_dataclass() -> None:
    assert same_declaration(Response, ResponseReference)
    assert Response.__hash__ is None is ResponseReference.__hash__
    body = ChunkedBody([b"a"])
    response = Response(200, "OK", HEADERS, body, simulated_elapsed=0.5)
    reference = ResponseReference(200, "OK", HEADERS, body, simulated_elapsed=0.5)
    assert repr(response) == repr(reference).replace("ResponseReference(", "Response(", 1)
    twin = Response(*[getattr(response, name) for name in Response.__match_args__])
    assert response == twin
    assert response != reference
    response.status = 404
    assert response != twin
    assert dataclasses.replace(response, status=200) == twin
    with pytest.raises(TypeError, match="unhashable"):
        hash(response)
    with pytest.raises(AttributeError):
        response.other = 1
