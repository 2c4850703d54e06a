#!/usr/bin/env python3
"""The two set-up commands of the README, for a fresh machine with only Python 3.11.

    python3 dev.py demo    build everything, seed the demo city, start server + worker + LINE emulator
    python3 dev.py test    build everything, run the whole test suite

Only the standard library is used here: this script creates the virtual environment (.venv),
installs civicline into it when pyproject.toml changed, and hands over to the environment's Python.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".civicline-installed"


def ensure_environment() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("==> creating the virtual environment (.venv)", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("==> installing civicline and its dependencies (first run takes a minute or two)", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main() -> int:
    commands = {"demo": ["-m", "civicline.demo"], "test": ["-m", "tests.run"]}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    ensure_environment()
    os.chdir(ROOT)
    # Replace this process, so Ctrl-C and the exit status belong to the real command.
    os.execv(PYTHON, [str(PYTHON), *commands[sys.argv[1]], *sys.argv[2:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
