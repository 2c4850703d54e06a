"""One manifest per feature (issue 19): core never imports a feature, and a feature's modules register
nothing when imported — only its manifest, registered by its app config, reaches the LINE dispatch,
the segment editor, Django's signals and checks, and the worker's schedule."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from importlib.util import resolve_name
from pathlib import Path

import pytest

import civicline
from civicline.core import features

CIVICLINE = Path(civicline.__file__).parent
REPO = CIVICLINE.parent

# Run in a fresh interpreter: Django set up with every feature's ready() doing nothing, then every
# module of every feature package imported; what is registered is compared before and after, and
# once more after the app configs' real ready() (the manifests) ran.
PROBE = r"""
import gc, importlib, json, pkgutil
import django
from civicline.core import features

manifests_ready = features.FeatureConfig.ready
features.FeatureConfig.ready = lambda self: None
django.setup()

from django.apps import apps
from django.core import checks
from django.core.signals import setting_changed
from django.dispatch import Signal
from huey.contrib.djhuey import HUEY

def receivers():
    # Not setting_changed: Django's own objects (a file storage…) follow settings through it.
    signals = [s for s in gc.get_objects() if isinstance(s, Signal) and s is not setting_changed]
    return sum(len(s.receivers) for s in signals)

def registered():
    return {
        "features": sorted(f.key for f in features.all_features()),
        "periodic": sorted(t.__module__ + "." + t.name for t in HUEY._registry.periodic_tasks),
        "startup": sorted(HUEY._startup),
        "checks": sorted(c.__module__ + "." + c.__name__ for c in checks.registry.registry.get_checks(True)),
        "receivers": receivers(),
    }

feature_apps = [a for a in apps.get_app_configs() if isinstance(a, features.FeatureConfig)]
before = registered()
for app in feature_apps:
    package = importlib.import_module(app.name)
    for module in pkgutil.walk_packages(package.__path__, app.name + "."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
after_import = registered()

from civicline.delivery import conditions
from civicline.line import registry

def read_from_manifests():
    handlers = registry.current().event_handlers("message")
    return {"conditions": len(conditions.types()), "message handlers": len(handlers)}

unregistered = read_from_manifests()
for app in feature_apps:
    manifests_ready(app)
print(json.dumps({
    "apps": [a.name for a in feature_apps], "before": before, "after_import": after_import,
    "unregistered": unregistered, "after_ready": registered(), "registered": read_from_manifests(),
}))
"""


def _probe() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_a_feature_registers_nothing_until_its_manifest_is_registered():
    probe = _probe()

    assert len(probe["apps"]) >= 12  # every feature package, the line app's preview included
    # Every module of every feature imported: nothing known anywhere yet.
    assert probe["after_import"] == probe["before"]
    assert probe["before"]["features"] == []
    assert probe["unregistered"] == {"conditions": 0, "message handlers": 0}
    # The manifests registered: the LINE dispatch, the segment editor, the worker and the checks have them.
    ready = probe["after_ready"]
    assert len(ready["features"]) == len(probe["apps"])
    assert probe["registered"]["message handlers"] >= 5 and probe["registered"]["conditions"] >= 7
    assert {"civicline.line.tasks.webhook_events_sweep_task", "civicline.ops.tasks.heartbeat_task"} <= set(
        ready["periodic"]
    )
    assert "liff_jwks_at_startup" in ready["startup"]
    assert "civicline.ops.checks.production_settings" in ready["checks"]
    assert ready["receivers"] > probe["before"]["receivers"]  # chatbot's knowledge version, ops' metrics


def _outside_core(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "civicline" and len(parts) > 1 and parts[1] != "core"


def test_core_never_imports_a_feature():
    found = []
    for path in sorted((CIVICLINE / "core").rglob("*.py")):
        package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [resolve_name("." * node.level + (node.module or ""), package)]
            else:
                continue
            found += [f"{path.name}: {n}" for n in names if _outside_core(n)]

    assert found == []


def test_a_feature_registered_again_with_another_manifest_is_refused():
    registered = features.all_features()[0]

    assert features.register(registered) is registered  # the same manifest again changes nothing
    with pytest.raises(ValueError, match=registered.key):
        features.register(features.Feature(key=registered.key, label="別物"))
