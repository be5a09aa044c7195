"""Concurrent requests over real HTTP: the checks and the changes they guard never interleave."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from services.runner import Platform, run_all
from services.storage import StorageSettings
from tests.services.services_lab import DNA


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with run_all(storage=StorageSettings(racks_per_freezer=1, rack_rows=1, rack_columns=3)) as running:
        yield running


def test_storing_one_sample_twice_at_once_takes_one_position(platform: Platform) -> None:
    api = platform.urls["gateway"] + "/api/samples"
    with httpx.Client(timeout=30) as http:
        sample_id = http.post(api, json=DNA).json()["id"]
        http.post(f"{api}/{sample_id}/validate")
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda _: http.post(f"{api}/{sample_id}/store", json={}), range(4)))
        assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
        zone = next(
            z for z in http.get(platform.urls["storage"] + "/zones").json() if z["temperature_c"] == -20
        )
        assert zone["occupied"] == 1
        assert len(http.get(platform.urls["event"] + "/events").json()) == 1


def test_racing_for_the_last_positions_never_overfills_a_zone(platform: Platform) -> None:
    api = platform.urls["gateway"] + "/api/samples"
    with httpx.Client(timeout=30) as http:
        ids = [http.post(api, json={**DNA, "sample_type": "tissue"}).json()["id"] for _ in range(6)]
        for sample_id in ids:
            http.post(f"{api}/{sample_id}/validate")
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(lambda i: http.post(f"{api}/{i}/store", json={}), ids))
        assert sorted(a.status_code for a in answers) == [200, 200, 200, 409, 409, 409]
        locations = {a.json()["location_id"] for a in answers if a.status_code == 200}
        assert locations == {"FRZ80-1-R1-A1", "FRZ80-1-R1-A2", "FRZ80-1-R1-A3"}
        refused = [i for i, a in zip(ids, answers, strict=True) if a.status_code == 409]
        assert {http.get(f"{api}/{i}").json()["status"] for i in refused} == {"validated"}
