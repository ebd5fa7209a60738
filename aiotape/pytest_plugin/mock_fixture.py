"""The ``http_mock`` fixture: every aiotape session in the test answers from mock routes.

Options come from the ``http_mock`` marker, e.g. ``@pytest.mark.http_mock(assert_all_called=
False, passthrough=["127.0.0.1"])`` (hosts or URL prefixes sent to the network). At teardown
a test that passed fails if a request matched no route (the code under test swallowed the
error), a websocket handler raised, or (unless disabled) a route was never called. A test
that already failed is reported once: the problems are added to its report, not raised again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .outcome import call_failed, track_outcomes
from .summary import note_mock

if TYPE_CHECKING:
    from ..mocking import MockRouter

__all__ = ["http_mock", "pytest_configure_http_mock"]

_OPTIONS = frozenset({"assert_all_called", "passthrough"})


@pytest.hookimpl(specname="pytest_configure")
def pytest_configure_http_mock(config: pytest.Config) -> None:
    """Register the ``http_mock`` marker."""
    config.addinivalue_line(
        "markers",
        "http_mock(assert_all_called=True, passthrough=()): options of the http_mock fixture; "
        "assert_all_called=False lets registered routes go unused, passthrough lists hosts "
        "or URL prefixes whose requests go to the network.",
    )


@pytest.fixture
def http_mock(request: pytest.FixtureRequest) -> Iterator[MockRouter]:
    """A MockRouter answering every aiotape session's requests during the test."""
    from ..client.transport import use_transport
    from ..mocking import MockRouter

    marker = request.node.get_closest_marker("http_mock")
    options = dict(marker.kwargs) if marker is not None else {}
    unknown = sorted(set(options) - _OPTIONS)
    if unknown or (marker is not None and marker.args):
        raise pytest.UsageError(
            f"@pytest.mark.http_mock takes only keyword options {sorted(_OPTIONS)}, "
            f"got {unknown or list(marker.args if marker else ())}"
        )
    router = MockRouter(
        assert_all_called=bool(options.get("assert_all_called", True)),
        passthrough=options.get("passthrough", ()),
    )
    xfail = request.node.get_closest_marker("xfail") is not None
    track_outcomes(request.config, xfail=xfail)  # a strict xfail test can fail without raising
    with use_transport(router.override):
        yield router
    note_mock(request, router)
    failed = call_failed(request.node)
    problems = router.problems(check_unused=router.assert_all_called and not failed)
    if problems and failed:
        request.node.add_report_section("teardown", "http_mock", "\n\n".join(problems))
    elif problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
