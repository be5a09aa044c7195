"""The benchmarks' broker process helpers: the load test reports the broker's CPU per request from them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from benchmarks.server import cpu_seconds

# A parent that only sleeps, with a child that burns 0.5 s of CPU (by its own clock, however fast the
# machine: a fixed amount of work took 0.29 s on a fast day) and then sleeps too (both still alive when read).
BURN = "import time\nwhile time.process_time() < 0.5: pass\ntime.sleep(60)"
SCRIPT = f"""
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", {BURN!r}])
time.sleep(60)
"""


def test_cpu_seconds_counts_the_descendants_of_a_process() -> None:
    parent = subprocess.Popen([sys.executable, "-c", SCRIPT], start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        used = 0.0
        while time.monotonic() < deadline:
            used = cpu_seconds(parent.pid)
            if used >= 0.45:  # the child's burn, which the sleeping parent alone never reaches
                break
            time.sleep(0.2)
        assert used >= 0.45
        assert cpu_seconds(2**22 + 12345) == 0.0  # no such process
    finally:
        os.killpg(parent.pid, signal.SIGKILL)  # the child too
        parent.wait()
