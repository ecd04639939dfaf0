"""RabbitMQ nodes a test starts for itself, so faults never reach the machine's own broker.

Each node gets its own name, AMQP, management and distribution ports, config, plugin list,
data and log directories under the test's directory. The machine's ``rabbitmq-env.conf`` and
``rabbitmq.conf`` are bypassed, so none of the shared node's settings (its node name, its
listener on 5672) leak into the test's node.

Nodes started from the same ``base_dir`` share one ``HOME`` there and thus one Erlang cookie:
they can be clustered with each other, while their ``rabbitmqctl`` calls cannot authenticate
against the machine's node, whose cookie lives in the ``rabbitmq`` user's home.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from amqp.exceptions import AMQPError
from kombu import Connection
from kombu.exceptions import OperationalError as KombuOperationalError

from alliance.embedded_db import free_port
from tests.support.waiting import wait_for

# Debian's /usr/sbin scripts re-run everything as the rabbitmq user, who cannot write the test's
# directories; the real scripts behind them run as whoever calls them.
PACKAGED_SCRIPTS = Path("/usr/lib/rabbitmq/bin")
START_TIMEOUT_SECONDS = 120


def scripts_dir() -> Path | None:
    """Where ``rabbitmq-server`` and ``rabbitmqctl`` live; None without a local RabbitMQ."""
    if (PACKAGED_SCRIPTS / "rabbitmq-server").exists():
        return PACKAGED_SCRIPTS
    found = shutil.which("rabbitmq-server")
    return Path(found).parent if found else None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class BrokerNodeError(RuntimeError):
    """A node did not start, stop or answer as asked; the message carries its log's tail."""


@dataclass
class BrokerNode:
    """One RabbitMQ node of a test's own; ``start``/``stop`` the node, ``stop_app``/``start_app`` the broker."""

    base_dir: Path
    name: str = field(default_factory=lambda: f"faults-{uuid.uuid4().hex[:8]}@localhost")
    amqp_port: int = field(default_factory=free_port)
    management_port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)

    @property
    def short_name(self) -> str:
        return self.name.split("@")[0]

    @property
    def node_dir(self) -> Path:
        return self.base_dir / self.short_name

    @property
    def pid_file(self) -> Path:
        return self.node_dir / "node.pid"

    @property
    def amqp_uri(self) -> str:
        """The node's default vhost as a nameko ``AMQP_URI``."""
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def management_uri(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.management_port}"

    def environment(self) -> dict[str, str]:
        """The variables ``rabbitmq-server`` and ``rabbitmqctl`` need to find exactly this node."""
        node_dir = self.node_dir
        return {
            **os.environ,
            "HOME": str(self.base_dir / "home"),
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(node_dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(node_dir / "log"),
            "RABBITMQ_PID_FILE": str(self.pid_file),
            "RABBITMQ_CONFIG_FILE": str(node_dir / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(node_dir / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(node_dir / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(node_dir / "rabbitmq-env.conf"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def write_config(self) -> None:
        node_dir = self.node_dir
        for directory in (self.base_dir / "home", node_dir / "mnesia", node_dir / "log"):
            directory.mkdir(parents=True, exist_ok=True)
        (node_dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.amqp_port}\n"
            f"management.tcp.ip = 127.0.0.1\n"
            f"management.tcp.port = {self.management_port}\n"
            # A nearly full disk on a shared machine must not block publishers in a fault test.
            "disk_free_limit.absolute = 50MB\n"
        )
        (node_dir / "enabled_plugins").write_text("[rabbitmq_management].\n")
        (node_dir / "rabbitmq-env.conf").write_text("")

    def ctl(self, *args: str, timeout: float = START_TIMEOUT_SECONDS) -> str:
        """Run ``rabbitmqctl -n NODE ARGS`` against this node; its output."""
        return self._run("rabbitmqctl", "-n", self.name, *args, timeout=timeout)

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Start the node detached and return once the broker and its plugins run."""
        self.write_config()
        self._run("rabbitmq-server", "-detached", timeout=timeout)
        self.ctl("wait", "--timeout", str(int(timeout)), str(self.pid_file), timeout=timeout + 10)

    def stop_app(self) -> None:
        """Stop the broker on this node (the Erlang node stays up): every connection drops."""
        self.ctl("stop_app")

    def start_app(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Start the broker again and return once it accepts connections."""
        self.ctl("start_app", timeout=timeout)
        self.ctl("await_startup", "--timeout", str(int(timeout)), timeout=timeout + 10)

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def kill(self) -> None:
        """End the node's OS process at once, as a crash or a lost machine would."""
        pid = self.pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def request_stop(self) -> int | None:
        """Ask the node to halt (SIGTERM makes Erlang shut down in order); its pid if it was running."""
        pid = self.pid()
        if pid is None or not process_alive(pid):
            return None
        os.kill(pid, signal.SIGTERM)
        return pid

    def stop(self, timeout: float = 60) -> None:
        """Halt the node; killed if it outlives ``timeout``."""
        self.wait_halted(self.request_stop(), timeout)

    def wait_halted(self, pid: int | None, timeout: float = 60) -> None:
        """Wait for the node's process ``pid`` (None: nothing to wait for) to end; killed after ``timeout``."""
        if pid is None:
            return
        try:
            wait_for(lambda: not process_alive(pid), timeout=timeout, interval=0.1, message=f"{self.name} to halt")
        except TimeoutError:
            self.kill()

    def log_tail(self, lines: int = 30) -> str:
        log = self.node_dir / "log" / f"{self.name}.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""

    def _run(self, script: str, *args: str, timeout: float) -> str:
        directory = scripts_dir()
        if directory is None:
            raise BrokerNodeError("no local RabbitMQ installation (rabbitmq-server not found)")
        try:
            done = subprocess.run(
                [str(directory / script), *args],
                env=self.environment(),
                cwd=self.node_dir,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as error:
            raise BrokerNodeError(f"{script} {' '.join(args)} timed out\n{self.log_tail()}") from error
        if done.returncode != 0:
            raise BrokerNodeError(
                f"{script} {' '.join(args)} exited {done.returncode}: {done.stdout}{done.stderr}\n{self.log_tail()}"
            )
        return done.stdout


@contextmanager
def broker_node(base_dir: Path, prefix: str = "faults") -> Iterator[BrokerNode]:
    """A started node of the caller's own under ``base_dir``; stopped (or killed) on leaving."""
    node = BrokerNode(Path(base_dir), name=f"{prefix}-{uuid.uuid4().hex[:8]}@localhost")
    try:
        node.start()
        yield node
    finally:
        node.stop()


@contextmanager
def watched_broker(amqp_uri: str) -> Iterator[Callable[[], bool]]:
    """A connection to a broker held open meanwhile; the callable says whether it survived.

    A node's uptime in the management API is the Erlang VM's, which ``stop_app`` does not
    reset: only a connection dropped by the broker shows that its application was stopped.
    """
    with Connection(amqp_uri, heartbeat=0) as connection:
        channel = connection.channel()

        def survived() -> bool:
            try:
                channel.exchange_declare("amq.direct", "direct", passive=True)
            except (OSError, AMQPError, KombuOperationalError):
                return False
            return True

        yield survived
