"""A second embedded database on a port another one already serves must not pass for started."""

from __future__ import annotations

import pytest

from alliance.embedded_db import EmbeddedDatabase, PortInUseError


def test_a_second_embedded_database_on_a_served_port_refuses_to_start(tmp_path):
    other_stack = EmbeddedDatabase(str(tmp_path / "other"))
    other_stack.start()
    try:
        ours = EmbeddedDatabase(str(tmp_path / "ours"), port=other_stack.port)
        with pytest.raises(PortInUseError):
            ours.start()
        assert ours.process is None, "no server of ours may run beside theirs"
    finally:
        other_stack.stop()
