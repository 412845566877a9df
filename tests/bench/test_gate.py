"""The bench-smoke gate and the bench runner's verdicts (pure: no database, no timing)."""

from bench.run import merge, verdict
from bench.smoke import compare

BASE = {"queue ms": 40.0, "queue queries": 12, "sweep ms": 150.0}


def test_figures_within_three_times_the_baseline_pass():
    now = {"queue ms": 119.0, "queue queries": 36, "sweep ms": 449.0}
    assert compare(now, BASE, factor=3, floor_ms=10) == []


def test_a_figure_slowed_past_three_times_fails_and_names_itself():
    now = {"queue ms": 40.0 * 3.5, "queue queries": 12, "sweep ms": 150.0}
    problems = compare(now, BASE, factor=3, floor_ms=10)
    assert problems == ["queue ms: 140.0 vs baseline 40.0 (3.5x)"]


def test_more_than_three_times_the_queries_fails():
    now = {"queue ms": 40.0, "queue queries": 37, "sweep ms": 150.0}
    assert compare(now, BASE, factor=3, floor_ms=10) == [
        "queue queries: 37.0 vs baseline 12.0 (3.1x)"
    ]


def test_tiny_times_need_the_absolute_floor_too():
    base = {"page ms": 2.0}
    assert compare({"page ms": 11.9}, base, factor=3, floor_ms=10) == []
    assert compare({"page ms": 12.1}, base, factor=3, floor_ms=10) != []


def test_a_figure_missing_from_the_run_fails_and_a_new_one_passes():
    now = {"queue ms": 40.0, "queue queries": 12, "new figure ms": 999.0}
    assert compare(now, BASE, factor=3, floor_ms=10) == ["sweep ms: missing from this run"]


def test_verdict_reads_the_target():
    assert verdict({"target": "< 150 ms", "median": 149.0}) == "pass"
    assert verdict({"target": "< 150 ms", "median": 151.0}) == "FAIL"
    assert verdict({"target": ">= 300 msg/s", "median": 300.0}) == "pass"
    assert verdict({"target": ">= 300 msg/s", "median": 12.0}) == "FAIL"
    assert verdict({"target": "", "median": 5.0}) == ""
    assert verdict({"target": "< 1 s", "median": None}) == "FAIL"


def test_repeated_invocations_merge_to_the_median_of_their_medians():
    runs = [
        [{"figure": "x", "median": v, "p99": p, "unit": "ms"}]
        for v, p in ((10.0, 100.0), (30.0, 300.0), (20.0, 200.0))
    ]
    (merged,) = merge(runs)
    assert (merged["median"], merged["p99"], merged["runs"]) == (20.0, 200.0, [10.0, 30.0, 20.0])
