"""The summary line's counts (``_totals``) are the ones the per-file reports sum to, for files
one test replayed (counted without a report) and for every other kind of file."""

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


@pytest.mark.parametrize("uses", USES.values(), ids=USES.keys())
def test_the_totals_are_what_the_reports_sum_to(uses: list[CassetteUse]) -> None:
    reports = aggregate(uses)
    expected = (
        len(reports),
        sum(report.recorded for report in reports),
        sum(report.new for report in reports),
        sum(len(report.unused) for report in reports),
    )
    assert _totals(uses) == expected


def test_no_uses_count_nothing() -> None:
    assert _totals([]) == (0, 0, 0, 0)
