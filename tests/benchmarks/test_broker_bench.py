"""The benchmark's verdicts: targets and growth against the 1/10th dataset, with the answer size beside."""

from __future__ import annotations

import re
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
        {
            "can-i-deploy": 9.0,
            "can-i-deploy (computed)": 9.5,
            "matrix": 12.0,
            "matrix (computed)": 12.5,
            "for-verification": 3.0,
            "for-verification (computed)": 30.0,
            "publish contract": 10.0,
        },
        {"for-verification": 400.0, "for-verification (computed)": 400.0},
    )
    small = _result(
        0.1,
        {
            "can-i-deploy": 8.0,
            "can-i-deploy (computed)": 8.5,
            "matrix": 6.0,
            "matrix (computed)": 6.5,
            "for-verification": 2.5,
            "for-verification (computed)": 15.0,
            "publish contract": 9.0,
        },
        {"for-verification": 50.0, "for-verification (computed)": 50.0},
    )
    verdicts = check_targets([full, small])
    assert len(verdicts) == len(TARGET_P95_MS)
    lines = {
        shape: next(v for v in verdicts if re.search(rf"postgresql\s+{re.escape(shape)}\s+p95", v))
        for shape in TARGET_P95_MS
    }
    assert lines["can-i-deploy"].startswith("ok ") and "x1.12 (ok" in lines["can-i-deploy"]
    assert lines["matrix"].startswith("MISS") and "x2.00 (MISS" in lines["matrix"]
    # A growth that comes with a larger answer says so, and what it is per KB; the verdict stays.
    fv = lines["for-verification (computed)"]
    assert fv.startswith("MISS") and "x2.00 (MISS" in fv
    assert "answer x8.0 as large (x0.25 per KB)" in fv
    assert lines["for-verification"].startswith("ok ") and "x1.20 (ok" in lines["for-verification"]
    assert "answer" not in lines["matrix"]
