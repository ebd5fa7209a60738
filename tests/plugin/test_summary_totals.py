"""The summary line's counts (``_totals`` of the uses, as the per-file reports count them):
files, recorded files, new and unused interactions, for files one test replayed and for every
other kind of file."""

from __future__ import annotations

import pytest

from aiotape.pytest_plugin.summary import CassetteUse, _totals, aggregate

USES = {
    "replayed, all played": [CassetteUse("/c/a.yaml", "t::a", "replayed", 3, (0, 1, 2))],
    "replayed, some unused": [CassetteUse("/c/a.yaml", "t::a", "replayed", 4, (2,))],
    "replayed, nothing played": [CassetteUse("/c/a.yaml", "t::a", "replayed", 2)],
    "replayed and extended": [CassetteUse("/c/a.yaml", "t::a", "replayed", 3, (0,), new=2)],
    "recorded": [CassetteUse("/c/a.yaml", "t::a", "recorded", new=3)],
    "shared by two tests": [
        CassetteUse("/c/s.yaml", "t::a", "replayed", 5, (0, 1)),
        CassetteUse("/c/s.yaml", "t::b", "replayed", 5, (1, 4), passed=False),
    ],
    "shared, one recording": [
        CassetteUse("/c/s.yaml", "t::a", "replayed", 2, (0,)),
        CassetteUse("/c/s.yaml", "t::b", "recorded", new=1),
    ],
    "mixed files": [
        CassetteUse("/c/a.yaml", "t::a", "replayed", 3, (1,)),
        CassetteUse("/c/b.yaml", "t::b", "recorded", new=2),
        CassetteUse("/c/s.yaml", "t::c", "replayed", 4, (0, 3)),
        CassetteUse("/c/s.yaml", "t::d", "replayed", 4, (2,), new=1),
        CassetteUse("/c/e.yaml", "t::e", "replayed", 0),
    ],
}


TOTALS = {
    "replayed, all played": (1, 0, 0, 0),
    "replayed, some unused": (1, 0, 0, 3),
    "replayed, nothing played": (1, 0, 0, 2),
    "replayed and extended": (1, 0, 2, 0),
    "recorded": (1, 1, 3, 0),
    "shared by two tests": (1, 0, 0, 2),
    "shared, one recording": (1, 1, 1, 0),
    "mixed files": (4, 1, 3, 2),
}
"""(files, recorded files, new interactions, unused interactions) of each case."""


@pytest.mark.parametrize("case", USES)
def test_the_totals_are_what_the_reports_sum_to(case: str) -> None:
    reports = aggregate(USES[case])
    expected = (
        len(reports),
        sum(report.recorded for report in reports),
        sum(report.new for report in reports),
        sum(len(report.unused) for report in reports),
    )
    assert _totals(USES[case]) == expected == TOTALS[case]


def test_no_uses_count_nothing() -> None:
    assert _totals([]) == (0, 0, 0, 0)
