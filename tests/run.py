"""python3 dev.py test: ruff, mypy, then the whole test suite (browser tests when Chromium is installed).

Extra arguments go to pytest, e.g. ``python3 dev.py test tests/core -x``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def main() -> int:
    database = os.environ.get("DATABASE_URL", "").split("@")[-1] or "SQLite"
    print("==> ruff check", flush=True)
    if subprocess.call([sys.executable, "-m", "ruff", "check", "--quiet", "."]) != 0:
        print("ruff found problems (see above).", file=sys.stderr)
        return 1
    # The packages covered are listed in pyproject.toml ([tool.mypy] files); .mypy_cache keeps reruns short.
    print("==> mypy", flush=True)
    if subprocess.call([sys.executable, "-m", "mypy"]) != 0:
        print("mypy found type errors (see above).", file=sys.stderr)
        return 1
    if not shutil.which(CHROMIUM):
        banner = "!" * 72
        print(f"{banner}\n  Chromium not found at {CHROMIUM}: BROWSER TESTS WILL BE SKIPPED.\n"
              f"  Install it with: apt-get install -y chromium\n{banner}", flush=True)
    print(f"==> pytest on {database}", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
