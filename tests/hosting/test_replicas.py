"""deploy/replicas.py without a browser: its errors for bad configuration, the HAProxy config it writes, and a
clean stop on SIGTERM. The browser tests through HAProxy are in tests/hosting/test_replicas_browser.py."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from deploy.replicas import AFFINITY_COOKIE, REPO_ROOT, Replica, render_config
from harness.browser import cluster_ports, free_port
from harness.waiting import wait_until

LAUNCHER = [sys.executable, "-m", "deploy.replicas"]  # run from REPO_ROOT


def require_haproxy() -> str:
    """haproxy's path, or a skip saying how to install it; under CI (`CI` set), where .ci/run installs it,
    its absence is a failure."""
    path = shutil.which("haproxy")
    if path:
        return path
    how = "install Debian's haproxy (`apt-get install haproxy`), as .ci/run does"
    if os.environ.get("CI"):
        pytest.fail(f"haproxy is missing, and CI must have it: {how}")
    pytest.skip(f"haproxy is missing: {how}")


def launch(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*LAUNCHER, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)


def ports_args(port: int | None = None, stats: int | None = None, first: int | None = None) -> list[str]:
    """Launcher port options: those given, the rest free and distinct from each other (for 2 replicas)."""
    default_port, default_stats, default_first = cluster_ports(2)
    return [
        "--port", str(port or default_port), "--stats-port", str(stats or default_stats),
        "--first-replica-port", str(first or default_first),
    ]  # fmt: skip


@pytest.mark.parametrize("count", ["0", "-1"])
def test_no_replicas_is_a_clear_error(count):
    result = launch("--replicas", count, *ports_args())
    assert result.returncode == 2
    assert f"--replicas must be at least 1 (got {count})" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("option", ["--port", "--stats-port", "--first-replica-port"])
def test_a_port_in_use_is_a_clear_error(option):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = {"--port": None, "--stats-port": None, "--first-replica-port": None} | {option: port}
        result = launch(
            "--replicas", "1", "--host", "127.0.0.1",
            *ports_args(args["--port"], args["--stats-port"], args["--first-replica-port"]),
        )  # fmt: skip
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert f"choose another with {option}" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_haproxy_is_a_clear_error(tmp_path):
    result = launch("--replicas", "1", "--haproxy", str(tmp_path / "no-haproxy-here"), *ports_args())
    assert result.returncode == 2
    assert "haproxy not found" in result.stderr and "apt-get install haproxy" in result.stderr
    assert "Traceback" not in result.stderr


def test_overlapping_ports_are_a_clear_error():
    port = free_port()
    result = launch("--replicas", "2", "--port", str(port), "--first-replica-port", str(port - 1))
    assert result.returncode == 2
    assert "ports overlap" in result.stderr


def test_the_haproxy_config_is_valid_and_says_what_the_app_needs(tmp_path):
    haproxy = require_haproxy()
    replicas = [Replica("r0", 8501), Replica("r1", 8502), Replica("r2", 8503)]
    config = render_config("0.0.0.0:8080", "127.0.0.1:8404", replicas)
    path = tmp_path / "haproxy.cfg"
    path.write_text(config)
    check = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    lines = [line.split("#")[0].strip() for line in config.splitlines()]
    for replica in replicas:
        assert f"server {replica.name} 127.0.0.1:{replica.port} cookie {replica.name} check" in lines
    assert "option httpchk GET /_stcore/health" in lines
    # Readable by the page's script (no httponly), which reloads the page once its session moved.
    assert f"cookie {AFFINITY_COOKIE} insert indirect nocache" in lines
    assert "timeout tunnel 1h" in lines
    assert "option redispatch 1" in lines  # to a live replica on the first retry
    # A broken config is caught by the same check the launcher runs: the test above could fail.
    path.write_text(config.replace("balance leastconn", "balance no-such-algorithm"))
    assert subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True).returncode != 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by a parent that is itself gone) counts as stopped.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_sigterm_stops_haproxy_and_every_replica():
    require_haproxy()
    port, stats, first = cluster_ports(2)
    process = subprocess.Popen(
        [*LAUNCHER, "--replicas", "2", "--host", "127.0.0.1", *ports_args(port, stats, first)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pids: list[int] = []
    try:
        lines = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith(("replica ", "haproxy: pid")):
                pids.append(int(line.split("pid ")[1].split(",")[0]))
            if line.startswith("serving on"):
                break
        assert lines and lines[-1].startswith("serving on"), "".join(lines)
        assert len(pids) == 3
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=30) as response:
            assert response.read() == b"ok"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert "stopped" in process.stdout.read()
        wait_until(lambda: not any(_alive(pid) for pid in pids), "every replica and haproxy to end", 30, 0.2)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
