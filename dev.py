#!/usr/bin/env python3
"""Set up and run truthcrowd with nothing but Python 3.11: `python3 dev.py run` or `... test`."""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project, again only when pyproject.toml or extras change."""
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f".[{extras}]" if extras else "."
    print(f"Installing truthcrowd{f'[{extras}]' if extras else ''} into .venv ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", target], check=True, cwd=ROOT)
    stamp.write_text(digest)


def manage(*args: str) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], check=True, cwd=ROOT)


def run(argv: list[str]) -> int:
    """Migrate, load the study, print a researcher login and serve on 127.0.0.1:8000."""
    ensure_venv("dev")
    manage("migrate", "--no-input", "-v", "0")
    manage("bootstrap_demo")
    address = argv[0] if argv else "127.0.0.1:8000"
    return subprocess.run([str(PYTHON), "manage.py", "runserver", address], cwd=ROOT).returncode


def test(argv: list[str]) -> int:
    """Run the whole test suite (pass pytest arguments after `test`)."""
    ensure_venv("dev")
    return subprocess.run([str(PYTHON), "-m", "pytest", *argv], cwd=ROOT).returncode


COMMANDS = {"run": run, "test": test}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python3 dev.py {{{'|'.join(COMMANDS)}}} [args...]")
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
