"""The embedded MongoDB-compatible server (SecantusDB), always run as its own process.

It is launched, never imported: the project talks to it only over the wire,
so a real ``mongod`` replaces it by setting ``MONGO_URI``.

With ``credentials`` it runs with SCRAM-SHA-256 authentication: the user is
provisioned the first time (the server can only create users while it runs
without ``--auth``, so that phase uses a port of its own), and every later
start reuses the credentials kept in the data directory.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from secrets import token_urlsafe
from typing import Any
from urllib.parse import quote

from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

#: The file under the data directory that holds the generated database credentials.
CREDENTIALS_FILE = "embedded-db-credentials.json"
DATABASE_USER = "alliance"
_AUTHENTICATION_FAILED = 18
_USER_EXISTS = 51003


def die_with_parent() -> None:
    """A child process gets SIGTERM when its parent dies, even by SIGKILL (Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def private_child() -> None:
    """Set up a server child: it dies with its parent and creates files only its owner can read."""
    os.umask(0o077)
    die_with_parent()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something already accepts connections on ``host``:``port``."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class PortInUseError(RuntimeError):
    """The embedded database's port is taken: starting there could serve another stack's data."""

    def __init__(self, port: int) -> None:
        super().__init__(
            f"port {port} on 127.0.0.1 already answers: another `alliance up` or another database runs there. "
            "Stop it, set EMBEDDED_DB_PORT to a free port, or set MONGO_URI to use that database on purpose."
        )
        self.port = port


def server_command() -> list[str]:
    executable = shutil.which("secantusd-py") or str(Path(sys.executable).with_name("secantusd-py"))
    return [executable]


def private_directory(path: Path) -> Path:
    """``path`` created if missing and readable by its owner only (0700), with no file in it open to others."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    for child in path.rglob("*"):
        # Files written by an earlier version of the launcher were world-readable.
        mode = child.lstat().st_mode
        if not child.is_symlink() and mode & 0o077:
            child.chmod(mode & 0o700)
    return path


@dataclass(frozen=True)
class OplogBounds:
    """How much oplog the embedded server keeps: entries older than ``retention_seconds`` or beyond
    ``max_entries`` are pruned, whichever comes first. Nothing here reads the oplog (no change
    streams), so it only needs to cover the server's own recovery; without bounds it grows with
    every write ever made."""

    retention_seconds: int = 3600
    max_entries: int = 100_000

    def arguments(self) -> tuple[str, ...]:
        return (
            "--oplog-retention-seconds",
            str(self.retention_seconds),
            "--oplog-max-entries",
            str(self.max_entries),
        )


@dataclass(frozen=True)
class Credentials:
    """The user and password the services authenticate with."""

    user: str
    password: str


def database_credentials(state: Path) -> Credentials:
    """The credentials kept in ``state``, generated (file mode 0600) the first time."""
    path = state / CREDENTIALS_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        stored = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(str(stored["user"]), str(stored["password"]))
    credentials = Credentials(DATABASE_USER, token_urlsafe(32))
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"user": credentials.user, "password": credentials.password}, handle)
    return credentials


def with_embedded_credentials(config: dict[str, Any], state: Path) -> dict[str, Any]:
    """``config`` for a command run beside `alliance up`: the embedded server's URI with its credentials.

    A ``MONGO_URI`` set in the environment is the operator's own database and is kept as it is.
    """
    if os.environ.get("MONGO_URI") or not (state / CREDENTIALS_FILE).exists():
        return config
    return dict(config, MONGO_URI=database_uri(int(config["EMBEDDED_DB_PORT"]), database_credentials(state)))


def database_uri(port: int, credentials: Credentials | None = None) -> str:
    """The URI of an embedded server on 127.0.0.1:``port``, authenticating when given credentials."""
    if credentials is None:
        return f"mongodb://127.0.0.1:{port}/?directConnection=true"
    user, password = quote(credentials.user, safe=""), quote(credentials.password, safe="")
    return f"mongodb://{user}:{password}@127.0.0.1:{port}/?directConnection=true&authSource=admin"


class EmbeddedDatabase:
    """A SecantusDB server process on 127.0.0.1; with ``credentials``, it refuses unauthenticated clients."""

    def __init__(
        self,
        storage: str,
        port: int | None = None,
        log_path: Path | None = None,
        extra_args: tuple[str, ...] = (),
        credentials: Credentials | None = None,
        oplog: OplogBounds | None = None,
    ) -> None:
        self.oplog = oplog or OplogBounds()
        self.storage = storage
        self.port = port or free_port()
        self.log_path = log_path
        self.extra_args = extra_args
        self.credentials = credentials
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return database_uri(self.port, self.credentials)

    def start(self, timeout: float = 60.0) -> None:
        """Run the server and return once it answers; :class:`PortInUseError` if its port is taken."""
        # The readiness probe below only asks "does the port answer?": a server already there
        # would pass it, and clients would silently read and write that server's data.
        if port_answers(self.port):
            raise PortInUseError(self.port)
        if self.storage != ":memory:":
            private_directory(Path(self.storage))
        if self.credentials is None:
            self.process = self._launch(self.port, auth=False)
            self._wait_ready(self.port, timeout)
            return
        self.process = self._launch(self.port, auth=True)
        self._wait_ready(self.port, timeout)
        if self._authenticates():
            return
        # A new data directory, or one from before authentication: provision the user first.
        self.stop()
        self._provision(self.credentials, timeout)
        self.process = self._launch(self.port, auth=True)
        self._wait_ready(self.port, timeout)
        if not self._authenticates():
            self.stop()
            raise RuntimeError("the embedded database refused its own credentials")

    def _launch(self, port: int, auth: bool) -> subprocess.Popen:
        log = self._open_log()
        try:
            return subprocess.Popen(
                [
                    *server_command(),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--storage-path",
                    self.storage,
                    "--log-level",
                    "WARNING",
                    *(("--auth",) if auth else ()),
                    *self.oplog.arguments(),
                    *self.extra_args,
                ],
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                # Its own session: a Ctrl-C meant for the caller must not stop it before its clients.
                start_new_session=True,
                preexec_fn=private_child,
            )
        finally:
            if log is not subprocess.DEVNULL:
                os.close(log)

    def _open_log(self) -> int:
        if self.log_path is None:
            return subprocess.DEVNULL
        fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        return fd

    def _provision(self, credentials: Credentials, timeout: float) -> None:
        # A port nobody has been told about keeps the unauthenticated phase out of the clients' reach.
        port = free_port()
        self.process = self._launch(port, auth=False)
        try:
            self._wait_ready(port, timeout)
            user, password = credentials.user, credentials.password
            with MongoClient(database_uri(port), serverSelectionTimeoutMS=5000) as client:
                try:
                    client.admin.command("createUser", user, pwd=password, roles=["root"])
                except OperationFailure as exc:
                    if exc.code != _USER_EXISTS:
                        raise
                    client.admin.command("updateUser", user, pwd=password, roles=["root"])
        finally:
            self.stop()

    def _authenticates(self) -> bool:
        try:
            with MongoClient(self.uri, serverSelectionTimeoutMS=5000) as client:
                client.admin.command("ping")
        except OperationFailure as exc:
            if exc.code == _AUTHENTICATION_FAILED:
                return False
            raise
        return True

    def _wait_ready(self, port: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"the embedded database exited with code {self.process.returncode}"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            try:
                with MongoClient(database_uri(port), serverSelectionTimeoutMS=500) as client:
                    client.admin.command("ping")
                return
            except PyMongoError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the embedded database did not answer on port {port}") from None
                time.sleep(0.1)

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
