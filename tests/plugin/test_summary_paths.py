"""The summary notes each cassette file by its absolute path; a path that is absolute and
normal already is taken as it is, and every other one goes through ``os.path.abspath``."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiotape.pytest_plugin.summary import _absolute

_SEGMENTS = st.sampled_from(["a", "b.yaml", ".", "..", "", ".hidden", "x..y", "c d"])


@pytest.mark.skipif(os.sep != "/", reason="the shortcut is for POSIX paths")
@given(
    st.sampled_from(["/", "//", "", "./", "../"]),
    st.lists(_SEGMENTS, max_size=6),
    st.booleans(),
)
def test_absolute_is_abspath(start: str, segments: list[str], trailing: bool) -> None:
    path = start + "/".join(segments) + ("/" if trailing else "")
    assert _absolute(path) == os.path.abspath(path)


def test_a_normal_absolute_path_is_kept_as_it_is() -> None:
    path = os.path.join(os.path.abspath(os.sep), "tests", "cassettes", "test_m", "test_0.yaml")
    assert _absolute(path) == path
