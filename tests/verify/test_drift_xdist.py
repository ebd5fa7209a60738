"""Under ``pytest -n``, workers write report parts and the controller merges them into one."""

from __future__ import annotations

import json

import pytest

from tests.plugin.inner import INI

pytest_plugins = ["pytester"]

CONFTEST = """
import pytest

from aiotape.cassettes.drift import Change, Drift
from aiotape.cassettes.verify import discard_parts, merge_parts, write_part

REPORT = {report!r}
DRIFTS = []


def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        discard_parts(REPORT)


@pytest.fixture(autouse=True)
def _drifted(request):
    yield
    change = Change("status", "status", 200, 503)
    DRIFTS.append(Drift(request.node.nodeid, "c.yaml", 0, "GET http://127.0.0.1/", (change,)))


def pytest_sessionfinish(session):
    config = session.config
    if hasattr(config, "workerinput"):
        write_part(REPORT, config.workerinput["workerid"], DRIFTS)
    else:
        merge_parts(REPORT, DRIFTS)
"""


def test_parts_of_two_workers_merge_into_one_report(pytester: pytest.Pytester) -> None:
    report = pytester.path / "drift.json"
    pytester.makeconftest(CONFTEST.format(report=str(report)))
    pytester.makepyfile(
        test_b="def test_one(): pass\ndef test_two(): pass",
        test_a="def test_three(): pass\ndef test_four(): pass",
    )
    pytester.makeini(INI)
    stale = {"test": "gone", "cassette": "c", "interaction": 0, "request": "", "changes": []}
    (pytester.path / ".drift.json.gw9.part.json").write_text(json.dumps([stale]))
    result = pytester.runpytest("-p", "xdist", "-n", "2", "-p", "no:benchmark")
    result.assert_outcomes(passed=4)
    assert [entry["test"] for entry in json.loads(report.read_text())] == [
        "test_a.py::test_four",
        "test_a.py::test_three",
        "test_b.py::test_one",
        "test_b.py::test_two",
    ]
    assert list(pytester.path.glob(".drift.json.*")) == []
