"""Start a real OpenSearch 2.x cluster on this machine, from Maven Central jars.

The OpenSearch tarball cannot be downloaded here, but the server jar and the
netty4 transport plugin are on Maven Central.  ``Launcher.java`` (next to this
file) runs one node in-process; this module builds it with Maven once and
starts N node JVMs on 127.0.0.1.  Standard library only.

    from cluster import Cluster          # tools/opensearch on sys.path
    with Cluster(nodes=2, workdir="/tmp/os") as c:
        c.request("PUT", "/idx", {...})
        c.url, c.urls                    # http://127.0.0.1:PORT
        c.stop_node(1)                   # SIGTERM, wait

Command line::

    python tools/opensearch/cluster.py --build-only     # fetch jars, compile, report
    python tools/opensearch/cluster.py --nodes 2        # run until Ctrl-C

The jars are cached in ~/.m2 (Maven's default); the compiled launcher and the
resolved classpath in tools/opensearch/target/ (git-ignored).  A build that is
up to date runs no Maven at all; a rebuild tries ``mvn -o`` (offline) first.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["OPENSEARCH_VERSION", "BuildInfo", "Cluster", "ClusterError", "build"]

TOOL_DIR = Path(__file__).resolve().parent
TARGET = TOOL_DIR / "target"
CLASSES = TARGET / "classes"
CLASSPATH_FILE = TARGET / "classpath.txt"
STAMP = TARGET / ".build-stamp"  # written after each successful Maven run
LAUNCHER_CLASS = "footnote.opensearch.Launcher"
OPENSEARCH_VERSION = "2.19.6"  # keep in step with pom.xml

# What OpenSearch's own jvm.options / SystemJvmOptions set, minus what only
# matters with the security manager or a packaged distribution.
_SYSTEM_JVM_OPTS = [
    "-Xss1m",
    "-Djava.awt.headless=true",
    "-Dfile.encoding=UTF-8",
    "-Djna.nosys=true",
    "-XX:-OmitStackTraceInFastThrow",
    "-Dio.netty.noUnsafe=true",
    "-Dio.netty.noKeySetOptimization=true",
    "-Dio.netty.recycler.maxCapacityPerThread=0",
    "-Dio.netty.allocator.numDirectArenas=0",
    "-Dlog4j.shutdownHookEnabled=false",
    "-Dlog4j2.disable.jmx=true",
]


class ClusterError(RuntimeError):
    """Raised when the launcher cannot be built or a node does not come up."""


# --------------------------------------------------------------------- build


@dataclass
class BuildInfo:
    ran_maven: bool
    seconds: float
    classpath: list[str]
    jars_bytes: int  # size of the runtime jars (in ~/.m2)
    m2_added_bytes: int  # growth of ~/.m2/repository during this build (downloads)

    def summary(self) -> str:
        mb = 1024 * 1024
        what = "built with Maven" if self.ran_maven else "up to date (no Maven run)"
        return (
            f"OpenSearch {OPENSEARCH_VERSION} launcher {what} in {self.seconds:.1f} s; "
            f"{len(self.classpath)} runtime jars, {self.jars_bytes / mb:.1f} MB; "
            f"downloaded into ~/.m2 this time: {self.m2_added_bytes / mb:.1f} MB"
        )


def _m2_repo() -> Path:
    return Path.home() / ".m2" / "repository"


def _tree_bytes(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, f)).st_size
    return total


def _read_classpath() -> list[str]:
    text = CLASSPATH_FILE.read_text().strip()
    return [p for p in text.split(os.pathsep) if p]


def _sources() -> list[Path]:
    return [TOOL_DIR / "pom.xml", *sorted((TOOL_DIR / "src").rglob("*.java"))]


def _up_to_date() -> bool:
    marker = CLASSES / "footnote" / "opensearch" / "Launcher.class"
    if not (marker.exists() and CLASSPATH_FILE.exists() and STAMP.exists()):
        return False
    built = STAMP.stat().st_mtime
    if any(src.stat().st_mtime > built for src in _sources()):
        return False
    cp = _read_classpath()
    return bool(cp) and all(os.path.exists(p) for p in cp)


def _mvn() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise ClusterError("Maven (mvn) is not on PATH; apt-get install maven")
    return mvn


def build(force: bool = False, verbose: bool = False) -> BuildInfo:
    """Compile the launcher and resolve its classpath, unless already done.

    Safe to call from several processes at once (file lock).  The first build
    needs Maven Central; later ones run ``mvn -o`` and download nothing.
    """
    TARGET.mkdir(exist_ok=True)
    t0 = time.monotonic()
    with open(TARGET / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and _up_to_date():
            cp = _read_classpath()
            return BuildInfo(
                False, time.monotonic() - t0, cp, sum(os.path.getsize(p) for p in cp), 0
            )
        before = _tree_bytes(_m2_repo())
        base = [_mvn(), "-B", "-f", str(TOOL_DIR / "pom.xml")]
        if not verbose:
            base.append("-q")
        # offline first: works whenever ~/.m2 already has everything
        attempts = [[*base, "-o", "compile"], [*base, "compile"]]
        out = ""
        STAMP.unlink(missing_ok=True)
        for cmd in attempts:
            started = time.time()
            proc = subprocess.run(
                cmd, cwd=TOOL_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            out = proc.stdout
            if verbose:
                sys.stderr.write(out)
            if proc.returncode == 0:
                STAMP.write_text(f"{started}\n")
                if _up_to_date():
                    break
        else:
            raise ClusterError("building the OpenSearch launcher failed:\n" + _tail(out, 60))
        cp = _read_classpath()
        after = _tree_bytes(_m2_repo())
        return BuildInfo(
            True,
            time.monotonic() - t0,
            cp,
            sum(os.path.getsize(p) for p in cp),
            max(0, after - before),
        )


# ------------------------------------------------------------------- cluster


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _file_tail(path: Path, lines: int = 40) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            return _tail(f.read().decode("utf-8", "replace"), lines)
    except OSError as e:
        return f"(no log: {e})"


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@dataclass
class _Node:
    name: str
    home: Path
    log: Path
    http_port: int
    transport_port: int
    proc: subprocess.Popen | None = None
    log_handle: object = None
    stopped: bool = False  # stopped on purpose (stop_node / close)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


class Cluster:
    """N OpenSearch nodes on 127.0.0.1, each its own JVM process.

    ``workdir`` holds one home directory per node (config/, data/, logs/,
    removed by ``close()``) and one ``node-I.log`` per node (kept, unless the
    workdir was a temporary one made here).  ``settings`` adds OpenSearch
    settings to every node (``-E key=value``).

    All nodes have every role (cluster_manager, data, ingest).  By default
    only node-0 is listed in ``cluster.initial_cluster_manager_nodes``
    (``initial_managers="first"``): the cluster bootstraps with node-0 as the
    sole voter, so node-0 is deterministically the cluster manager and, with
    2 nodes, ``stop_node(1)`` leaves a working (yellow) cluster.  With
    ``initial_managers="all"`` a 2-node cluster votes with both nodes and
    stopping either one leaves no cluster manager (searches on existing
    shards still answer, health/indexing/index creation fail with 503).
    With 3+ nodes the voting configuration grows to 3 either way.
    """

    def __init__(
        self,
        nodes: int = 2,
        workdir: str | os.PathLike | None = None,
        java: str | None = None,
        heap: str = "512m",
        cluster_name: str = "footnote",
        start_timeout: float = 180.0,
        settings: dict[str, object] | None = None,
        jvm_opts: list[str] | None = None,
        initial_managers: str | list[str] = "first",
    ):
        if nodes < 1:
            raise ValueError("nodes must be >= 1")
        self.n = nodes
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="footnote-opensearch-")).resolve()
        self.java = (
            java or os.environ.get("FOOTNOTE_OPENSEARCH_JAVA") or shutil.which("java") or "java"
        )
        self.heap = heap
        self.cluster_name = cluster_name
        self.start_timeout = start_timeout
        self.settings = dict(settings or {})
        self.jvm_opts = list(jvm_opts or [])
        self.initial_managers = initial_managers
        self._nodes: list[_Node] = []
        self._classpath: str | None = None
        self._started = False

    # -- public API --------------------------------------------------------

    @property
    def url(self) -> str:
        """HTTP URL of node 0."""
        return self._nodes[0].url

    @property
    def urls(self) -> list[str]:
        """HTTP URLs of all nodes, by index (stopped ones included)."""
        return [n.url for n in self._nodes]

    @property
    def running_urls(self) -> list[str]:
        return [n.url for i, n in enumerate(self._nodes) if self.alive(i)]

    def alive(self, i: int) -> bool:
        p = self._nodes[i].proc
        return p is not None and p.poll() is None

    def pid(self, i: int) -> int | None:
        p = self._nodes[i].proc
        return p.pid if p is not None else None

    def log_path(self, i: int) -> Path:
        return self._nodes[i].log

    def start(self) -> Cluster:
        if self._started:
            return self
        info = build()
        self._classpath = os.pathsep.join([str(CLASSES), *info.classpath])
        self.workdir.mkdir(parents=True, exist_ok=True)
        last_error: ClusterError | None = None
        for _attempt in range(3):  # retry only if a picked port was taken meanwhile
            self._make_nodes()
            try:
                for i in range(self.n):
                    self._spawn(i)
                self._wait_ready(self.n)
                self._started = True
                return self
            except ClusterError as e:
                last_error = e
                self._kill_all()
                if "Address already in use" not in str(e) and "BindException" not in str(e):
                    break
        self._remove_homes()
        assert last_error is not None
        raise last_error

    def stop_node(self, i: int, timeout: float = 60.0) -> int | None:
        """SIGTERM node i and wait for it to exit (SIGKILL after ``timeout``)."""
        node = self._nodes[i]
        p = node.proc
        if p is None:
            return None
        node.stopped = True
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        self._close_pipes(node)
        return p.returncode

    def start_node(self, i: int, wait: bool = True) -> None:
        """Start a stopped node again (same name, ports and data dir)."""
        if self.alive(i):
            return
        self._spawn(i)
        if wait:
            self._wait_ready(sum(self.alive(j) for j in range(self.n)))

    def health(self, **params) -> dict:
        q = "&".join(f"{k}={v}" for k, v in params.items())
        return self.request("GET", "/_cluster/health" + (f"?{q}" if q else ""))

    def wait_for_status(
        self, status: str = "green", timeout: float = 60.0, nodes: int | None = None
    ) -> dict:
        """Block until the cluster reaches ``status`` (and ``nodes`` nodes)."""
        deadline = time.monotonic() + timeout
        url = self.running_urls[0]
        while True:
            extra = f"&wait_for_nodes={nodes}" if nodes else ""
            try:
                h = self.request(
                    "GET", f"/_cluster/health?wait_for_status={status}{extra}&timeout=2s", url=url
                )
                if not h.get("timed_out"):
                    return h
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise ClusterError(f"cluster did not reach {status} within {timeout:.0f} s")
            time.sleep(0.2)

    def request(
        self, method: str, path: str, body=None, url: str | None = None, timeout: float = 60.0
    ):
        """Tiny JSON-over-HTTP helper.  ``body``: dict/list (JSON), str or bytes
        (sent as is, e.g. NDJSON for _bulk).  Returns the parsed JSON response;
        raises urllib.error.HTTPError (with ``.body`` text) on HTTP errors."""
        return http_json(method, (url or self.running_urls[0]) + path, body, timeout)

    def close(self) -> None:
        """Stop every node (SIGTERM, then SIGKILL) and remove their data dirs."""
        for i in range(len(self._nodes)):
            if self._nodes[i].proc is not None and self._nodes[i].proc.poll() is None:
                self._nodes[i].proc.send_signal(signal.SIGTERM)
        for i in range(len(self._nodes)):
            self.stop_node(i)
        self._remove_homes()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self._started = False

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        with contextlib.suppress(Exception):
            self._kill_all()

    # -- internals ---------------------------------------------------------

    def _make_nodes(self) -> None:
        ports = _free_ports(2 * self.n)
        self._nodes = [
            _Node(
                name=f"node-{i}",
                home=self.workdir / f"node-{i}",
                log=self.workdir / f"node-{i}.log",
                http_port=ports[2 * i],
                transport_port=ports[2 * i + 1],
            )
            for i in range(self.n)
        ]
        for node in self._nodes:
            shutil.rmtree(node.home, ignore_errors=True)

    def _command(self, node: _Node) -> list[str]:
        tmp = node.home / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        cmd = [
            self.java,
            f"-Xms{min(256, _mb(self.heap))}m",
            f"-Xmx{self.heap}",
            *_SYSTEM_JVM_OPTS,
            f"-Djava.io.tmpdir={tmp}",
            f"-XX:ErrorFile={node.home}/logs/hs_err_pid%p.log",
            *self.jvm_opts,
            "-cp",
            self._classpath or "",
            LAUNCHER_CLASS,
            "--exit-on-stdin-eof",
            "--home",
            str(node.home),
            "--cluster-name",
            self.cluster_name,
            "--node-name",
            node.name,
            "--http-port",
            str(node.http_port),
            "--transport-port",
            str(node.transport_port),
        ]
        if self.n == 1:
            cmd.append("--single-node")
        else:
            cmd += [
                "--seed-hosts",
                ",".join(f"127.0.0.1:{n.transport_port}" for n in self._nodes),
                "--initial-cluster-managers",
                ",".join(self._initial_manager_names()),
            ]
        for k, v in self.settings.items():
            if isinstance(v, bool):
                v = str(v).lower()
            elif isinstance(v, (list, tuple)):
                v = ",".join(map(str, v))
            cmd += ["-E", f"{k}={v}"]
        return cmd

    def _initial_manager_names(self) -> list[str]:
        if self.initial_managers == "first":
            return [self._nodes[0].name]
        if self.initial_managers == "all":
            return [n.name for n in self._nodes]
        return list(self.initial_managers)

    def _spawn(self, i: int) -> None:
        node = self._nodes[i]
        node.home.mkdir(parents=True, exist_ok=True)
        node.stopped = False
        node.log_handle = open(node.log, "ab")  # noqa: SIM115 (closed in _close_pipes)
        node.proc = subprocess.Popen(
            self._command(node),
            stdin=subprocess.PIPE,  # closed when we die -> node exits (--exit-on-stdin-eof)
            stdout=node.log_handle,
            stderr=subprocess.STDOUT,
            cwd=node.home,
            start_new_session=True,  # Ctrl-C in the terminal goes to us, not straight to the JVMs
        )

    def _wait_ready(self, nodes: int) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            for node in self._nodes:
                if node.proc is not None and not node.stopped and node.proc.poll() is not None:
                    raise ClusterError(
                        f"OpenSearch {node.name} exited with code {node.proc.returncode} "
                        f"while starting; log {node.log}:\n{_file_tail(node.log)}"
                    )
            running = [n for n in self._nodes if n.proc is not None and n.proc.poll() is None]
            try:
                if not running:
                    raise ClusterError("no node is running")
                h = http_json(
                    "GET",
                    running[0].url
                    + f"/_cluster/health?wait_for_nodes={nodes}&wait_for_status=yellow&timeout=1s",
                    timeout=5,
                )
                if not h.get("timed_out") and h.get("number_of_nodes") == nodes:
                    return
            except (OSError, urllib.error.URLError, ValueError):
                pass
            if time.monotonic() > deadline:
                tails = "\n".join(f"--- {n.log}:\n{_file_tail(n.log, 25)}" for n in self._nodes)
                raise ClusterError(
                    f"OpenSearch cluster not ready ({nodes} nodes, yellow) "
                    f"within {self.start_timeout:.0f} s\n{tails}"
                )
            time.sleep(0.3)

    def _close_pipes(self, node: _Node) -> None:
        if node.proc is not None and node.proc.stdin is not None:
            with contextlib.suppress(OSError):
                node.proc.stdin.close()
        if node.log_handle is not None:
            with contextlib.suppress(OSError):
                node.log_handle.close()
            node.log_handle = None

    def _kill_all(self) -> None:
        for node in self._nodes:
            if node.proc is not None and node.proc.poll() is None:
                node.proc.kill()
                with contextlib.suppress(Exception):
                    node.proc.wait(10)
            self._close_pipes(node)

    def _remove_homes(self) -> None:
        for node in self._nodes:
            shutil.rmtree(node.home, ignore_errors=True)


def _mb(size: str) -> int:
    s = size.strip().lower()
    mult = {"k": 1 / 1024, "m": 1, "g": 1024}.get(s[-1])
    return int(float(s[:-1]) * mult) if mult else int(int(s) / (1024 * 1024))


def http_json(method: str, url: str, body=None, timeout: float = 60.0):
    data = None
    headers = {}
    if body is not None:
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        else:
            data = body.encode() if isinstance(body, str) else body
            headers["Content-Type"] = "application/x-ndjson"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as e:
        e.body = e.read().decode("utf-8", "replace")
        e.msg = f"{e.msg}: {e.body[:2000]}"
        raise
    return json.loads(raw) if raw else None


# ----------------------------------------------------------------------- CLI


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--workdir", help="node homes and logs (default: a temp dir, removed at exit)")
    ap.add_argument(
        "--java", help="java executable (default: $FOOTNOTE_OPENSEARCH_JAVA or java on PATH)"
    )
    ap.add_argument("--heap", default="512m", help="-Xmx of each node (default 512m)")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the cluster")
    ap.add_argument(
        "--build-only", action="store_true", help="fetch jars + compile the launcher, report, exit"
    )
    ap.add_argument(
        "--rebuild", action="store_true", help="run Maven even if the build is up to date"
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="show Maven output")
    args = ap.parse_args(argv)

    if args.build_only or args.rebuild:
        info = build(force=args.rebuild, verbose=args.verbose)
        print(info.summary())
        print(f"classpath file: {CLASSPATH_FILE}")
        if args.build_only:
            return 0

    stop = {"flag": False}

    def _on_signal(signum, _frame):
        stop["flag"] = True

    # explicit handlers: a shell may start us with SIGINT ignored (cmd &), and the
    # JVMs run in their own session, so Ctrl-C reaches only us and we stop them in order
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    t0 = time.monotonic()
    cluster = Cluster(
        nodes=args.nodes,
        workdir=args.workdir,
        java=args.java,
        heap=args.heap,
        start_timeout=args.timeout,
    )
    try:
        cluster.start()
        took = time.monotonic() - t0
        h = cluster.health()
        print(
            f"OpenSearch {OPENSEARCH_VERSION} cluster '{h['cluster_name']}' {h['status']} with "
            f"{h['number_of_nodes']} nodes in {took:.1f} s; workdir {cluster.workdir}"
        )
        for i, u in enumerate(cluster.urls):
            rss = _rss_mb(cluster.pid(i) or 0)
            print(f"node-{i} {u} pid {cluster.pid(i)} rss {rss:.0f} MB log {cluster.log_path(i)}")
        print("FOOTNOTE_OPENSEARCH_URLS=" + ",".join(cluster.urls), flush=True)
        print("Ctrl-C to stop", flush=True)
        while not stop["flag"]:
            time.sleep(0.5)
            dead = [i for i in range(cluster.n) if not cluster.alive(i)]
            if dead:
                print(f"node(s) {dead} exited; see logs", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        pass
    except ClusterError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        print("stopping ...", flush=True)
        cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
