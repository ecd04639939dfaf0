"""The ``alliance`` command as the tests run it: the installed console script, or its ``main`` in this process."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from alliance.cli import main

ALLIANCE = str(Path(sys.executable).with_name("alliance"))  # the installed console script


def environment(env: Mapping[str, str] | None, variables: Mapping[str, str]) -> dict[str, str]:
    """``env`` (default: this process's environment) with ``variables`` set."""
    return {**(os.environ if env is None else env), **variables}


def config_env(config: Mapping[str, object], *names: str) -> dict[str, str]:
    """Settings of a test's configuration, as the environment variables a command reads them from."""
    return {name: str(config[name]) for name in names}


def run(
    command: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 60, **variables: str
) -> subprocess.CompletedProcess:
    """Run ``command`` to its end, its output captured as text."""
    return subprocess.run(
        list(command), env=environment(env, variables), capture_output=True, text=True, timeout=timeout
    )


def run_together(
    commands: Sequence[Sequence[str]], *, env: Mapping[str, str] | None = None, timeout: float = 60, **variables: str
) -> list[subprocess.CompletedProcess]:
    """Run independent commands at the same time (each pays the interpreter's start-up)."""
    processes = [
        subprocess.Popen(
            list(c), env=environment(env, variables), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for c in commands
    ]
    results = []
    for command, process in zip(commands, processes, strict=True):
        stdout, stderr = process.communicate(timeout=timeout)
        results.append(subprocess.CompletedProcess(list(command), process.returncode, stdout, stderr))
    return results


def alliance(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60, **variables: str
) -> subprocess.CompletedProcess:
    """``alliance <args>`` as an operator runs it: the console script in a process of its own."""
    return run([ALLIANCE, *args], env=env, timeout=timeout, **variables)


def alliance_in_process(*args: str) -> subprocess.CompletedProcess:
    """``alliance <args>`` through ``alliance.cli.main`` in this process, its output captured as text."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = main(list(args))
    return subprocess.CompletedProcess(["alliance", *args], code, stdout.getvalue(), stderr.getvalue())
