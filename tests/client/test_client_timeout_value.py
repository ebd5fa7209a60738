"""``ClientTimeout`` is a value as aiohttp's is: built, shown, compared, hashed, matched and
pickled alike, and immutable."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import aiohttp
import pytest

import aiotape

KWARGS: list[dict[str, Any]] = [
    {},
    {"total": 5},
    {"total": None, "connect": 1.5, "sock_read": 2, "sock_connect": 0.5},
    {"sock_read": 0, "ceil_threshold": 1},
]


@pytest.mark.parametrize("kwargs", KWARGS)
def test_a_timeout_shows_and_compares_as_aiohttps(kwargs: dict[str, Any]) -> None:
    ours, theirs = aiotape.ClientTimeout(**kwargs), aiohttp.ClientTimeout(**kwargs)
    assert repr(ours) == repr(theirs)
    assert ours == aiotape.ClientTimeout(**kwargs)
    assert hash(ours) == hash(aiotape.ClientTimeout(**kwargs))
    other = {"total": 123}
    assert (ours != aiotape.ClientTimeout(**other)) == (theirs != aiohttp.ClientTimeout(**other))
    assert ours != theirs
    fields = ("total", "connect", "sock_read", "sock_connect", "ceil_threshold")
    assert [getattr(ours, name) for name in fields] == [getattr(theirs, name) for name in fields]
    assert pickle.loads(pickle.dumps(ours)) == ours
    assert copy.deepcopy(ours) == ours


def test_positional_arguments_and_patterns_follow_the_field_order() -> None:
    ours = aiotape.ClientTimeout(1, 2, 3, 4, 6)
    assert repr(ours) == repr(aiohttp.ClientTimeout(1, 2, 3, 4, 6))
    match ours:
        case aiotape.ClientTimeout(total, connect, sock_read, sock_connect, ceil):
            assert (total, connect, sock_read, sock_connect, ceil) == (1, 2, 3, 4, 6)
        case _:
            pytest.fail("no match")


@pytest.mark.parametrize("cls", [aiotape.ClientTimeout, aiohttp.ClientTimeout])
def test_a_timeout_cannot_change(cls: Any) -> None:
    timeout = cls(total=5)
    with pytest.raises(AttributeError):
        timeout.total = 1
    with pytest.raises(AttributeError):
        timeout.anything = 1
    with pytest.raises(AttributeError):
        del timeout.total
    assert timeout.total == 5
