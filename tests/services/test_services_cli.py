"""`contracts services up` as a user runs it: a real process, real ports, Ctrl-C to stop."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from services.runner import SERVICES, bind

CLI = Path(sys.executable).parent / "contracts"


def free_ports(count: int) -> list[int]:
    socks = [bind() for _ in range(count)]
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def test_up_serves_all_six_and_stops_on_ctrl_c() -> None:
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    args = [str(CLI), "services", "up", "--log-level", "warning"]
    for name, port in ports.items():
        args += [f"--{name}-port", str(port)]
    env = {**os.environ, "PACT_DO_NOT_TRACK": "true", "COLUMNS": "200"}
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{ports['event']}/health", timeout=1).is_success:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "services did not come up within 30 s"
            time.sleep(0.2)
        for name, port in ports.items():
            assert httpx.get(f"http://127.0.0.1:{port}/health").json() == {"status": "ok"}, name
        sample = httpx.post(
            f"http://127.0.0.1:{ports['gateway']}/api/samples",
            json={
                "sample_type": "saliva",
                "volume_ul": 1000,
                "submitter": "ada@lab.example",
                "project": "P1",
            },
        )
        assert sample.status_code == 201
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert f"http://127.0.0.1:{ports['gateway']}" in output
    assert "All services stopped." in output
    for port in ports.values():
        bind(port=port).close()  # the port is free again


def test_up_reports_a_port_in_use() -> None:
    taken = bind()
    taken.listen()
    try:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(CLI), "services", "up", "--gateway-port", str(port), "--base-port", str(free_ports(1)[0])],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "PACT_DO_NOT_TRACK": "true", "COLUMNS": "200"},
        )
    finally:
        taken.close()
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stdout
