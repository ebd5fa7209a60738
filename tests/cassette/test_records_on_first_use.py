"""A record becomes a dataclass the first time something asks for its fields: defining one runs
none of ``dataclasses``' bookkeeping, yet ``fields``, ``replace``, ``astuple`` and
``is_dataclass`` see what a frozen dataclass with those fields and defaults would show."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from aiotape.cassettes.model import Interaction, RecordedRequest, WSFrame
from aiotape.cassettes.plan import Plan
from aiotape.client.records import Fields, Frozen, mutable_record, record
from aiotape.client.request_plan import _RequestDraft
from aiotape.client.seam_request import _RequestLayout
from aiotape.client.transport import Request, Response
from tests.fresh_python import run_json


def _point_class() -> Any:
    @record
    class Point(Frozen):
        """A record made for one test."""

        __slots__ = ("label", "x", "y")
        x: int
        y: int
        label: str

        def __init__(self, x: int, y: int, label: str = "p") -> None:
            object.__setattr__(self, "x", x)
            object.__setattr__(self, "y", y)
            object.__setattr__(self, "label", label)

    return Point


def test_a_new_record_is_no_dataclass_until_its_fields_are_asked_for() -> None:
    point = _point_class()
    assert not isinstance(vars(point)["__dataclass_fields__"], dict)
    assert point.__match_args__ == ("x", "y", "label")  # its annotations, in order
    assert dataclasses.is_dataclass(point)
    assert isinstance(vars(point)["__dataclass_fields__"], dict)


def test_the_first_fields_call_gives_the_annotations_and_the_init_defaults() -> None:
    point = _point_class()
    shown = [(f.name, f.default) for f in dataclasses.fields(point(1, 2))]
    assert shown == [("x", dataclasses.MISSING), ("y", dataclasses.MISSING), ("label", "p")]


def test_replace_and_astuple_work_on_a_record_never_asked_before() -> None:
    point = _point_class()
    moved = dataclasses.replace(point(1, 2, "a"), y=5)
    assert (type(moved), dataclasses.astuple(moved)) == (point, (1, 5, "a"))
    assert moved == point(1, 5, "a") and hash(moved) == hash(point(1, 5, "a"))
    assert repr(moved).endswith("Point(x=1, y=5, label='a')")


def test_a_mutable_record_stays_assignable_and_unhashable() -> None:
    @mutable_record
    class Box(Fields):
        """A mutable record made for one test."""

        __slots__ = ("size",)
        size: int

        def __init__(self, size: int = 1) -> None:
            self.size = size

    box = Box()
    box.size = 3
    assert dataclasses.replace(box) == Box(3)
    assert [f.default for f in dataclasses.fields(Box)] == [1]
    with pytest.raises(TypeError, match="unhashable"):
        hash(box)


def test_the_records_fields_match_their_match_args() -> None:
    for cls in (RecordedRequest, Interaction, WSFrame, Request, Response):
        assert tuple(f.name for f in dataclasses.fields(cls)) == cls.__match_args__


def test_a_plain_frozen_class_is_still_no_dataclass() -> None:
    assert not dataclasses.is_dataclass(Plan)
    assert not dataclasses.is_dataclass(Frozen)


def test_a_request_draft_has_the_slots_and_annotations_of_a_requests_fields() -> None:
    names = tuple(f.name for f in dataclasses.fields(Request))
    assert _RequestDraft.__slots__ == ()  # its slots are the layout it shares with Request
    assert _RequestLayout.__slots__[: len(names)] == names
    assert tuple(_RequestDraft.__annotations__) == names


def test_importing_the_records_and_the_client_builds_no_dataclass() -> None:
    script = """
        import json, aiotape
        aiotape.ClientSession
        from aiotape.cassettes import model
        from aiotape.client import transport
        from aiotape.client.records import Fields
        named = [getattr(model, name) for name in model.__all__]
        # type(...) is type: on 3.10 a generic alias (model.Headers) passes isinstance(x, type)
        classes = [c for c in named if type(c) is type and issubclass(c, Fields)]
        records = [transport.Request, transport.Response, *classes]
        built = [r.__name__ for r in records if isinstance(vars(r)["__dataclass_fields__"], dict)]
        print(json.dumps(built))
    """
    assert run_json(script) == []
