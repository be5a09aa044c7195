"""The benchmark's verdicts: targets and growth against the 1/10th dataset, with the answer size beside."""

from __future__ import annotations

import re
from typing import Any

import httpx

from benchmarks.broker_bench import SAME_WIP, TARGET_P95_MS, check_targets, measure
from benchmarks.shapes import Request


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
            SAME_WIP: 18.0,
            "publish contract": 10.0,
        },
        {"for-verification": 400.0, "for-verification (computed)": 400.0, SAME_WIP: 60.0},
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
            SAME_WIP: 15.0,
            "publish contract": 9.0,
        },
        {"for-verification": 50.0, "for-verification (computed)": 50.0, SAME_WIP: 50.0},
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
    # The same question with as many WIP pacts on both histories: what growth is left is the history's.
    same = lines[SAME_WIP]
    assert same.startswith("ok ") and "x1.20 (ok" in same and "answer" not in same
    assert "answer" not in lines["matrix"]


def test_the_histories_take_turns_request_by_request() -> None:
    """The full and the 1/10th history's brokers are asked in alternation, shape by shape, so a drift of the
    machine's speed meets both; each gets its own figures, and counts its own requests of each shape."""
    sent: list[str] = []

    def broker(name: str) -> httpx.Client:
        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(f"{name} {request.url.path}")
            return httpx.Response(200, content=b"x" * (2048 if name == "full" else 1024))

        return httpx.Client(base_url="http://broker", transport=httpx.MockTransport(answer))

    def shape(path: str) -> Any:
        return lambda i: Request("GET", f"/{path}/{i}")

    plan = [("a", shape("a")), ("b", shape("b"))]
    full, small = measure([(broker("full"), plan), (broker("small"), plan)], 20, 1, 60)
    first_two_rounds = ["full /a/0", "small /a/0", "full /b/0", "small /b/0"]
    first_two_rounds += ["full /a/1", "small /a/1", "full /b/1", "small /b/1"]
    assert sent[:8] == first_two_rounds
    assert len(sent) == 2 * 2 * 21
    assert [f.shape for f in full] == ["a", "b"] and [f.requests for f in small] == [20, 20]
    assert (full[0].answer_kb, small[0].answer_kb) == (2.0, 1.0)
