"""N `streamlit run app.py` replicas on local ports, and HAProxy in front with sticky sessions.

    python -m deploy.replicas --replicas 2 --port 8080

The class opens http://HOST:8080. Replica i listens on 127.0.0.1 only, on --first-replica-port + i, so
every user comes through HAProxy (deploy/haproxy.cfg.in). HAProxy's status page is on --stats-port.
Ctrl+C or SIGTERM stops HAProxy, then every replica. A replica that dies is left out of rotation by
HAProxy's health checks, and its users are moved to a live one; it is not restarted.

Bad configuration (no replicas, a port in use, no haproxy) exits with status 2 and a message saying
what to change, before anything is started.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from runtime import PROJECT_ROOT as REPO_ROOT
from ui.affinity import AFFINITY_COOKIE_ENV

TEMPLATE = Path(__file__).resolve().parent / "haproxy.cfg.in"
AFFINITY_COOKIE = "CNNRNN_REPLICA"  # HAProxy's session cookie; deploy/k8s/ingress.yaml names the same one
EXIT_CONFIG = 2


class LaunchError(Exception):
    """Bad configuration or a failed start; the message says what to change."""


@dataclass
class Replica:
    name: str  # HAProxy's server name, also the value of its affinity cookie
    port: int
    process: subprocess.Popen | None = None
    log: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def render_config(bind: str, stats_bind: str, replicas: list[Replica]) -> str:
    servers = "\n".join(f"    server {r.name} 127.0.0.1:{r.port} cookie {r.name} check" for r in replicas)
    return Template(TEMPLATE.read_text()).substitute(
        bind=bind, stats_bind=stats_bind, servers=servers, cookie=AFFINITY_COOKIE
    )


def check_port_free(host: str, port: int, option: str) -> None:
    with socket.socket() as sock:
        # As a server binds it: without SO_REUSEADDR a port in TIME_WAIT would read as taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            raise LaunchError(
                f"port {port} on {host} is in use ({error.strerror}): choose another with {option}"
            ) from None


def find_haproxy(haproxy: str) -> str:
    path = shutil.which(haproxy)
    if path is None:
        raise LaunchError(
            f"haproxy not found ({haproxy!r} is not an executable on PATH): install it "
            "(Debian/Ubuntu: `apt-get install haproxy`) or pass --haproxy /path/to/haproxy"
        )
    return path


def merged_env(overrides: dict[str, str | None]) -> dict[str, str]:
    """This process's environment with `overrides` applied; a value of None removes that variable."""
    env = dict(os.environ)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def wait_healthy(url: str, process: subprocess.Popen, timeout: float, what: str, log=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LaunchError(f"{what} exited with status {process.returncode} while starting{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise LaunchError(f"{what} did not answer {url} within {timeout:.0f} s{_tail(log)}")


def _tail(log, size: int = 3000) -> str:
    if log is None:
        return ""
    log.flush()
    log.seek(0)
    return ":\n" + log.read().decode(errors="replace")[-size:]


def _stop(process: subprocess.Popen | None, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Cluster:
    """The replicas and HAProxy; a context manager that stops everything it started on exit, whatever
    happened. Used by main() and by the tests and benchmarks/replicas.py."""

    def __init__(
        self,
        replicas: int,
        port: int,
        first_replica_port: int,
        stats_port: int,
        host: str = "0.0.0.0",
        haproxy: str = "haproxy",
        env: dict[str, str | None] | None = None,
        start_timeout: float = 120.0,
    ):
        if replicas < 1:
            raise LaunchError(f"--replicas must be at least 1 (got {replicas})")
        self.replicas = [Replica(f"r{i}", first_replica_port + i) for i in range(replicas)]
        self.host, self.port, self.stats_port = host, port, stats_port
        self.env = env or {}
        self.start_timeout = start_timeout
        ports = {p: "--port" for p in (port,)} | {stats_port: "--stats-port"}
        ports |= {r.port: "--first-replica-port" for r in self.replicas}
        if len(ports) != 2 + replicas:
            raise LaunchError(
                f"ports overlap: --port {port}, --stats-port {stats_port} and replica ports "
                f"{first_replica_port}..{first_replica_port + replicas - 1} must all differ"
            )
        # Checked before anything starts, so a clash is named here rather than found in a child's log.
        check_port_free(host, port, "--port")
        check_port_free("127.0.0.1", stats_port, "--stats-port")
        for replica in self.replicas:
            check_port_free("127.0.0.1", replica.port, "--first-replica-port")
        self.haproxy_path = find_haproxy(haproxy)
        # One secret for all replicas: Streamlit signs its XSRF cookie with it, and a session moved to
        # another replica must still pass that check.
        self.cookie_secret = secrets.token_hex(32)
        self.haproxy: subprocess.Popen | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="cnnrnn-replicas-")
        self.config_path = Path(self._dir.name) / "haproxy.cfg"

    # ------------------------------------------------------------------ addresses
    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def stats_url(self) -> str:
        return f"http://127.0.0.1:{self.stats_port}/stats"

    # ------------------------------------------------------------------ life cycle
    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.config_path.write_text(
            render_config(f"{self.host}:{self.port}", f"127.0.0.1:{self.stats_port}", self.replicas)
        )
        check = subprocess.run(
            [self.haproxy_path, "-c", "-f", str(self.config_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        if check.returncode != 0:
            raise LaunchError(f"haproxy rejected its configuration:\n{check.stdout.decode(errors='replace')}")
        for replica in self.replicas:
            self.start_replica(replica, wait=False)
        # The replicas start side by side; then each must answer its own health check.
        for replica in self.replicas:
            wait_healthy(
                f"{replica.url}/_stcore/health", replica.process, self.start_timeout, f"replica {replica.name}",
                replica.log,
            )  # fmt: skip
        self.haproxy = subprocess.Popen(
            [self.haproxy_path, "-db", "-f", str(self.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_healthy(f"{self.url}/_stcore/health", self.haproxy, 30, "haproxy")

    def start_replica(self, replica: Replica, wait: bool = True) -> None:
        # Streamlit takes its cookie secret from the environment only, not from a flag. The affinity cookie's
        # name lets each page notice that its session moved (ui/affinity.py).
        env = merged_env(
            {"STREAMLIT_SERVER_COOKIE_SECRET": self.cookie_secret, AFFINITY_COOKIE_ENV: AFFINITY_COOKIE, **self.env}
        )
        command = [
            sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
            "--server.address", "127.0.0.1", "--server.port", str(replica.port),
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        if replica.log is None:
            # A file, not a pipe: nobody reads a pipe while the replicas run, and a full one blocks the server.
            replica.log = tempfile.TemporaryFile()
        # Its own session: a Ctrl+C in the terminal reaches the launcher only, which stops everything in order.
        replica.process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=replica.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        if wait:
            wait_healthy(
                f"{replica.url}/_stcore/health", replica.process, self.start_timeout, f"replica {replica.name}",
                replica.log,
            )  # fmt: skip

    def kill_replica(self, index: int) -> None:
        """SIGKILL, as a crash or an out-of-memory kill does: no goodbye to its sessions."""
        process = self.replicas[index].process
        process.kill()
        process.wait()

    def stop(self) -> None:
        # HAProxy first, so nobody is routed to a replica that is going away.
        _stop(self.haproxy)
        for replica in self.replicas:
            _stop(replica.process)
        for replica in self.replicas:
            if replica.log is not None:
                replica.log.close()
                replica.log = None
        self._dir.cleanup()

    # ------------------------------------------------------------------ HAProxy's view
    def stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's CSV status of each replica, by name: 'status' (UP, DOWN, ...), 'scur' (connections open
        now, websockets included), 'stot' (connections so far)."""
        with urllib.request.urlopen(f"{self.stats_url};csv", timeout=10) as response:
            lines = response.read().decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        names = {r.name for r in self.replicas}
        return {row["svname"]: row for row in rows if row["pxname"] == "streamlit" and row["svname"] in names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2, help="streamlit processes (default: 2)")
    parser.add_argument("--port", type=int, default=8080, help="HAProxy's port, the one the class opens (8080)")
    parser.add_argument("--host", default="0.0.0.0", help="HAProxy's address (default: 0.0.0.0, every interface)")
    parser.add_argument(
        "--first-replica-port", type=int, default=8501, help="replica i listens on this + i, on 127.0.0.1 (8501)"
    )
    parser.add_argument("--stats-port", type=int, default=8404, help="HAProxy's status page, on 127.0.0.1 (8404)")
    parser.add_argument("--haproxy", default="haproxy", help="the haproxy executable (default: haproxy on PATH)")
    args = parser.parse_args(argv)

    stopping = threading.Event()

    def request_stop(signum, _frame) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        cluster = Cluster(args.replicas, args.port, args.first_replica_port, args.stats_port, args.host, args.haproxy)
    except LaunchError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        cluster.start()
    except LaunchError as error:
        cluster.stop()
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except BaseException:
        cluster.stop()
        raise
    try:
        for replica in cluster.replicas:
            print(f"replica {replica.name}: pid {replica.process.pid}, {replica.url}", flush=True)
        print(f"haproxy: pid {cluster.haproxy.pid}, status page {cluster.stats_url}", flush=True)
        print(f"serving on {cluster.url} (Ctrl+C stops everything)", flush=True)
        reported: set[str] = set()
        while not stopping.wait(1.0):
            for replica in cluster.replicas:
                if replica.process.poll() is not None and replica.name not in reported:
                    reported.add(replica.name)
                    print(f"replica {replica.name} exited ({replica.process.returncode}); HAProxy routes around it")
            if cluster.haproxy.poll() is not None:
                print(f"error: haproxy exited ({cluster.haproxy.returncode}); stopping", file=sys.stderr)
                return 1
    finally:
        cluster.stop()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
