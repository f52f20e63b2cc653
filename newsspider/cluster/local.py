"""Redis and PostgreSQL servers of one's own, on free loopback ports, in temporary folders: for
``python -m newsspider cluster`` (a local cluster in one command), the tests and the benchmark.

PostgreSQL refuses to run as root: as root, it runs as the ``postgres`` user that Debian's
package creates. Both require a password (the queue holds pickled requests).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PASSWORD = secrets.token_hex(12)  # a new one for each process that starts servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerMissing(Exception):
    """A server binary is not installed."""


def find(binary: str) -> str:
    """The binary's path: on PATH, or where Debian's postgresql package puts it."""
    found = shutil.which(binary) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{binary}"), reverse=True)), None
    )
    if not found:
        raise ServerMissing(f"{binary} is not installed (Debian: apt-get install redis-server postgresql)")
    return found


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid``, from /proc (no procps needed)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _wait(check, what: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-2000:] if log.exists() else ''}")
        try:
            if check():
                return
        except Exception:  # not up yet: connection refused, starting up
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start in {timeout} s")


class RedisServer:
    """redis-server with a password and no persistence (unless ``appendonly``)."""

    def __init__(self, folder: Path, appendonly: bool = False):
        self.binary = find("redis-server")
        self.folder = folder
        self.port = free_port()
        self.appendonly = appendonly
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://:{PASSWORD}@127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        log = self.folder / "redis.log"
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                "--requirepass", PASSWORD, "--save", "", "--appendonly", "yes" if self.appendonly else "no",
                "--logfile", str(log), "--daemonize", "no",
            ],
        )  # fmt: skip
        _wait(lambda: redis.Redis.from_url(self.url).ping(), "redis-server", self.process, log)

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class PostgresServer:
    """A PostgreSQL cluster of its own (initdb), with a password-protected ``newsspider`` role."""

    def __init__(self):
        self.initdb = find("initdb")
        self.postgres = find("postgres")
        # Its own folder straight under /tmp: the postgres user cannot enter pytest's (mode 700) ones.
        self.folder = Path(tempfile.mkdtemp(prefix="newsspider-pg-"))
        self.folder.chmod(0o755)
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise ServerMissing("running as root, PostgreSQL needs the unprivileged 'postgres' user") from None
            shutil.chown(self.folder, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        password_file = self.folder / "password"
        password_file.write_text(PASSWORD)
        if self.as_user:
            shutil.chown(password_file, "postgres")
        subprocess.run(
            [*self.as_user, self.initdb, "-D", str(self.data), "-U", "newsspider", "--auth=scram-sha-256",
             f"--pwfile={password_file}", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.process: subprocess.Popen | None = None
        self.start()
        self.sql("postgres", "CREATE DATABASE newsspider")

    @property
    def url(self) -> str:
        return f"postgresql://newsspider:{PASSWORD}@127.0.0.1:{self.port}/newsspider"

    def start(self) -> None:
        import psycopg

        log = self.folder / "postgres.log"
        with log.open("a") as out:
            self.process = subprocess.Popen(
                [*self.as_user, self.postgres, "-D", str(self.data), "-p", str(self.port), "-h", "127.0.0.1",
                 "-k", str(self.folder), "-c", "fsync=on"],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        admin = self.url.rsplit("/", 1)[0] + "/postgres"
        _wait(lambda: psycopg.connect(admin, connect_timeout=2).close() or True, "postgres", self.process, log)

    def sql(self, database: str, statement: str, *params: object) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/" + database, autocommit=True) as db:
            cursor = db.execute(statement, params or None)
            return cursor.fetchall() if cursor.description else []

    def kill9(self) -> None:
        """Kill the postmaster and its backends at once (a crash; committed data is in the WAL)."""
        postmaster = (self.data / "postmaster.pid").read_text().split()[0]
        for pid in [*_children(int(postmaster)), int(postmaster)]:
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                os.kill(pid, signal.SIGKILL)
        self.process.wait()

    def restart(self, down_for: float = 1.0) -> None:
        self.kill9()
        time.sleep(down_for)
        self.start()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)
