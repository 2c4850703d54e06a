"""Deployment files and dependency hygiene (X-12, X-18), checked as far as this machine allows.

Docker cannot run here: the files are parsed and compared with what the README and settings expect.
"""

from __future__ import annotations

import io
import re
import runpy
import tomllib
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from civicline.ops.management.commands import audit_dependencies

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_compose_runs_every_part_of_a_production():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"proxy", "web", "worker", "worker-extra", "migrate", "db", "redis"} <= set(services)
    assert services["web"]["command"][:3] == ["gunicorn", "--config", "deploy/gunicorn.conf.py"]
    assert services["worker"]["command"] == ["python", "manage.py", "run_huey"]
    assert "--no-periodic" in services["worker-extra"]["command"]
    assert "media:/var/lib/civicline/media" in services["web"]["volumes"]
    proxy_ip = services["proxy"]["networks"]["backend"]["ipv4_address"]
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == f"{proxy_ip}/32"
    assert (DEPLOY / "Caddyfile").is_file()


def test_dockerfile_mirrors_the_readme_and_runs_as_a_user():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    readme = (ROOT / "README.md").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert re.search(r"^USER civicline$", dockerfile, re.M)
    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    for command in (
        "collectstatic --noinput",
        "gunicorn",
        "deploy/gunicorn.conf.py",
        "civicline.wsgi:application",
    ):
        assert command in dockerfile and command in readme


def test_gunicorn_config_loads(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prom"))
    config = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert config["worker_class"] == "gthread" and config["workers"] >= 1
    config["on_starting"](None)
    assert (tmp_path / "prom").is_dir()
    config["on_exit"](None)
    assert not (tmp_path / "prom").exists()


def test_lock_pins_every_dependency_with_hashes():
    """X-18: a dependency added to pyproject.toml without regenerating requirements.lock fails here."""
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {canonicalize_name(m) for m in re.findall(r"^([A-Za-z0-9._-]+)==", lock, re.M)}
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    missing = {canonicalize_name(Requirement(d).name) for d in declared} - pinned
    assert not missing, (
        f"run the lock command of docs/operations.md: {sorted(missing)} not in requirements.lock"
    )
    for block in re.split(r"\n(?=[A-Za-z0-9._-]+==)", lock.split("\n\n", 1)[-1]):
        if "==" in block:
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_audit_without_vulnerability_data_says_so(monkeypatch):
    monkeypatch.setattr(audit_dependencies, "_vulnerability_data_available", lambda: False)
    out = io.StringIO()
    call_command("audit_dependencies", "--skip-offline", stdout=out)
    assert "NOT audited" in out.getvalue()
    with pytest.raises(CommandError, match="unreachable"):
        call_command("audit_dependencies")
