"""Start a throwaway PostgreSQL server on 127.0.0.1, for tests and for trying the bot.

It uses the PostgreSQL installed on this machine (Debian's `postgresql` package, or any whose
`pg_config --bindir` or /usr/lib/postgresql/*/bin holds initdb and postgres): a new cluster
in a temporary folder, listening on 127.0.0.1 on a free port only (no Unix socket), with a
superuser `footnote` whose password is generated. PostgreSQL refuses to run as root, so as
root the server runs as the `postgres` system user (made by the Debian package), else as
`nobody`. Standard library only.

    from cluster import Cluster          # tools/postgres on sys.path
    with Cluster() as server:
        url = server.create_database("votes")   # postgresql://footnote:...@127.0.0.1:PORT/votes

Command line::

    python3 tools/postgres/cluster.py --check   # say which PostgreSQL would be used, exit
    python3 tools/postgres/cluster.py           # run until Ctrl-C, printing the URL
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["Cluster", "ClusterError", "find_bindir"]

SUPERUSER = "footnote"
START_TIMEOUT = 60.0


class ClusterError(RuntimeError):
    """PostgreSQL is not installed, or the server did not start: one sentence saying which."""


def find_bindir() -> Path | None:
    """The folder holding initdb and postgres: pg_config's, else the newest Debian one."""
    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip():
            candidates.append(Path(found.stdout.strip()))
    # Debian keeps the server's programs out of PATH, one folder per major version.
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted((Path(p) for p in versions), key=_major, reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


def _major(bindir: Path) -> int:
    """The major version in /usr/lib/postgresql/<major>/bin (0 when it is not a number)."""
    name = bindir.parent.name
    return int(name) if name.isdigit() else 0


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_user() -> pwd.struct_passwd | None:
    """Who the server runs as when we are root (PostgreSQL refuses root); None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ClusterError("Running as root, but there is no postgres nor nobody user to run as.")


class Cluster:
    """A PostgreSQL server in a temporary folder, removed when stopped."""

    def __init__(self, bindir: Path | None = None) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise ClusterError(
                "PostgreSQL is not installed (no initdb in pg_config --bindir nor in "
                "/usr/lib/postgresql/*/bin); install Debian's postgresql package."
            )
        self.bindir = found
        self.password = secrets.token_urlsafe(18)
        self.port = 0
        self.workdir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._user = _server_user()

    @property
    def url(self) -> str:
        """The URL of the `postgres` database, as the superuser (password included)."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        """The URL of a database on this server, as the superuser."""
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{name}"

    @property
    def log_path(self) -> Path:
        """The server's log file."""
        assert self.workdir is not None
        return self.workdir / "server.log"

    def start(self) -> Cluster:
        """initdb a new cluster and start its server; a ClusterError with the log's end if not."""
        # Not pytest's tmp_path: that is readable by root only, and the server runs as postgres.
        self.workdir = Path(tempfile.mkdtemp(prefix="footnote-postgres-"))
        try:
            self._initdb()
            for _ in range(3):  # another program may take the free port before the server
                self.port = _free_port()
                if self._serve():
                    return self
            raise ClusterError(f"PostgreSQL did not start: {self._log_tail()}")
        except BaseException:
            self.stop()
            raise

    def _run_as_server_user(self) -> dict[str, object]:
        """subprocess arguments that drop root for the server's user."""
        if self._user is None:
            return {}
        return {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}

    def _initdb(self) -> None:
        """A new cluster with a superuser whose password is generated, password logins only."""
        assert self.workdir is not None
        secret = self.workdir / "password"
        secret.write_text(self.password + "\n", encoding="utf-8")
        secret.chmod(0o600)
        if self._user is not None:
            os.chown(self.workdir, self._user.pw_uid, self._user.pw_gid)
            os.chown(secret, self._user.pw_uid, self._user.pw_gid)
        made = subprocess.run(
            [
                str(self.bindir / "initdb"),
                "--pgdata",
                str(self.workdir / "data"),
                "--username",
                SUPERUSER,
                "--pwfile",
                str(secret),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--no-locale",
                "--no-sync",  # a throwaway cluster: no fsync of its files
            ],
            capture_output=True,
            text=True,
            cwd=self.workdir,
            **self._run_as_server_user(),  # type: ignore[arg-type]
        )
        secret.unlink()
        if made.returncode != 0:
            lines = (made.stderr or made.stdout).strip().splitlines()
            raise ClusterError(f"initdb failed: {lines[-1] if lines else made.returncode}")

    def _serve(self) -> bool:
        """Start the server on self.port and wait until it accepts connections; False if the
        port was taken meanwhile."""
        assert self.workdir is not None
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [
                str(self.bindir / "postgres"),
                "-D",
                str(self.workdir / "data"),
                "-c",
                "listen_addresses=127.0.0.1",
                "-p",
                str(self.port),
                "-c",
                "unix_socket_directories=",  # TCP on 127.0.0.1 only
                "-c",
                "fsync=off",  # a throwaway cluster: speed over durability
                "-c",
                "max_connections=200",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.workdir,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop it
            **self._run_as_server_user(),  # type: ignore[arg-type]
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                taken = "could not bind" in self._log_tail(20) or "in use" in self._log_tail(20)
                self._process = None
                if taken:
                    return False
                raise ClusterError(f"PostgreSQL exited at start: {self._log_tail()}")
            if self._ready():
                return True
            time.sleep(0.1)
        raise ClusterError(f"PostgreSQL did not accept connections in time: {self._log_tail()}")

    def _ready(self) -> bool:
        """Whether the server accepts connections (pg_isready)."""
        ready = subprocess.run(
            [str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            capture_output=True,
        )
        return ready.returncode == 0

    def _psql(self, sql: str) -> None:
        """Run one statement as the superuser (psql, so that this module needs no driver)."""
        done = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                "-d",
                "postgres",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PGPASSWORD": self.password},
        )
        if done.returncode != 0:
            raise ClusterError(f"{sql} failed: {done.stderr.strip()}")

    def create_database(self, name: str) -> str:
        """A new empty database (name: letters, digits, underscores): its URL."""
        if not name.replace("_", "").isalnum():
            raise ClusterError(f"{name!r} is not a plain database name.")
        self._psql(f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def _log_tail(self, lines: int = 5) -> str:
        """The last lines of the server's log, on one line."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except (OSError, AssertionError):
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-lines:]) or "(empty log)"

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are ended) and remove its folder."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Check for PostgreSQL, or run a throwaway server until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="say which PostgreSQL would be used, and exit"
    )
    parser.add_argument("--database", default="footnote", help="a database to create (footnote)")
    args = parser.parse_args(argv)
    bindir = find_bindir()
    if bindir is None:
        print("PostgreSQL is not installed: install Debian's postgresql package.", file=sys.stderr)
        return 1
    if args.check:
        user = _server_user()
        runs_as = f", run as {user.pw_name}" if user else ""
        print(f"PostgreSQL found in {bindir}{runs_as}")
        return 0
    stopping = {"now": False}

    def on_signal(_signum: int, _frame: object) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        with Cluster(bindir) as server:
            print(f"FOOTNOTE_DATABASE_URL={server.create_database(args.database)}", flush=True)
            print("Ctrl-C to stop", flush=True)
            while not stopping["now"]:
                time.sleep(0.5)
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
