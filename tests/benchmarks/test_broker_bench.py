"""The benchmark's verdicts: targets and growth against the 1/10th dataset, with the answer size beside."""

from __future__ import annotations

from typing import Any

from benchmarks.broker_bench import TARGET_P95_MS, check_targets


def _result(scale: float, p95: dict[str, float], answer_kb: dict[str, float]) -> dict[str, Any]:
    return {
        "backend": "postgresql",
        "scale": scale,
        "figures": [
            {"shape": shape, "p95_ms": p95[shape], "answer_kb": answer_kb.get(shape, 1.0)}
            for shape in TARGET_P95_MS
        ],
    }


def test_each_target_is_judged_on_the_full_dataset_and_its_growth() -> None:
    full = _result(
        1,
        {"can-i-deploy": 9.0, "matrix": 12.0, "for-verification": 30.0, "publish contract": 10.0},
        {"for-verification": 400.0},
    )
    small = _result(
        0.1,
        {"can-i-deploy": 8.0, "matrix": 6.0, "for-verification": 15.0, "publish contract": 9.0},
        {"for-verification": 50.0},
    )
    lines = {line.split()[2]: line for line in check_targets([full, small])}
    assert lines["can-i-deploy"].startswith("ok ") and "x1.12 (ok" in lines["can-i-deploy"]
    assert lines["matrix"].startswith("MISS") and "x2.00 (MISS" in lines["matrix"]
    # A growth that comes with a larger answer says so, and what it is per KB; the verdict stays.
    fv = lines["for-verification"]
    assert fv.startswith("MISS") and "x2.00 (MISS" in fv
    assert "answer x8.0 as large (x0.25 per KB)" in fv
    assert "answer" not in lines["matrix"]
