"""The embedded database's credentials and the URIs that carry them."""

from __future__ import annotations

import stat

from alliance.embedded_db import CREDENTIALS_FILE, database_credentials, database_uri, private_directory
from services.mongo import redact_uri


def test_credentials_are_generated_once_readable_by_the_owner_only(tmp_path):
    first = database_credentials(tmp_path)
    again = database_credentials(tmp_path)
    assert again == first
    assert len(first.password) >= 32
    assert stat.S_IMODE((tmp_path / CREDENTIALS_FILE).stat().st_mode) == 0o600


def test_a_private_directory_closes_files_left_open_to_others(tmp_path):
    database = tmp_path / "db"
    database.mkdir(mode=0o755)
    (database / "WiredTiger.wt").write_bytes(b"")
    (database / "WiredTiger.wt").chmod(0o644)
    private_directory(database)
    assert stat.S_IMODE(database.stat().st_mode) == 0o700
    assert stat.S_IMODE((database / "WiredTiger.wt").stat().st_mode) == 0o600


def test_the_password_never_appears_in_a_redacted_uri(tmp_path):
    credentials = database_credentials(tmp_path)
    uri = database_uri(27027, credentials)
    assert credentials.password in uri
    redacted = redact_uri(uri)
    assert credentials.password not in redacted
    assert redacted.startswith(f"mongodb://{credentials.user}:***@127.0.0.1:27027/")


def test_redaction_keeps_a_uri_without_password_and_hides_one_with_an_at_sign():
    assert redact_uri("mongodb://127.0.0.1:27027/?directConnection=true") == (
        "mongodb://127.0.0.1:27027/?directConnection=true"
    )
    assert redact_uri("amqp://guest:p@ss@rabbit:5672/") == "amqp://guest:***@rabbit:5672/"
