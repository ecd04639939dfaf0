"""The embedded MongoDB-compatible server (SecantusDB), always run as its own process.

It is launched, never imported: the project talks to it only over the wire,
so a real ``mongod`` replaces it by setting ``MONGO_URI``.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError


def die_with_parent() -> None:
    """A child process gets SIGTERM when its parent dies, even by SIGKILL (Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command() -> list[str]:
    executable = shutil.which("secantusd-py") or str(Path(sys.executable).with_name("secantusd-py"))
    return [executable]


class EmbeddedDatabase:
    """A SecantusDB server process on 127.0.0.1."""

    def __init__(
        self, storage: str, port: int | None = None, log_path: Path | None = None, extra_args: tuple[str, ...] = ()
    ) -> None:
        self.storage = storage
        self.port = port or free_port()
        self.log_path = log_path
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self, timeout: float = 60.0) -> None:
        if self.storage != ":memory:":
            Path(self.storage).mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [
                *server_command(),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--storage-path",
                self.storage,
                "--log-level",
                "WARNING",
                *self.extra_args,
            ],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            # Its own session: a Ctrl-C meant for the caller must not stop it before its clients.
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"the embedded database exited with code {self.process.returncode}"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            try:
                with MongoClient(self.uri, serverSelectionTimeoutMS=500) as client:
                    client.admin.command("ping")
                return
            except PyMongoError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the embedded database did not answer on port {self.port}") from None
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
