"""`alliance up` and the embedded database refuse a port that something already answers on."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from alliance.cli import build_parser
from alliance.embedded_db import EmbeddedDatabase, PortInUseError
from services.config import load_config


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 with a listening socket, as another stack's database would hold it."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.fixture
def fresh_config() -> Iterator[None]:
    """The configuration is read once per process: read it again from this test's environment."""
    load_config.cache_clear()
    yield
    load_config.cache_clear()


def test_up_refuses_when_the_embedded_database_port_answers(taken_port, tmp_path, monkeypatch, capsys, fresh_config):
    monkeypatch.delenv("MONGO_URI", raising=False)
    monkeypatch.setenv("EMBEDDED_DB_PORT", str(taken_port))
    monkeypatch.setenv("ALLIANCE_DATA_DIR", str(tmp_path / "state"))
    args = build_parser().parse_args(["up", "--port", "0"])

    assert args.run(args) != 0

    error = capsys.readouterr().err
    assert f"port {taken_port} on 127.0.0.1 already answers" in error
    assert "EMBEDDED_DB_PORT" in error
    assert not (tmp_path / "state").exists(), "nothing may be started or created"


def test_the_embedded_database_does_not_start_on_a_taken_port(taken_port, tmp_path):
    database = EmbeddedDatabase(str(tmp_path / "db"), port=taken_port)
    with pytest.raises(PortInUseError):
        database.start()
    assert database.process is None
