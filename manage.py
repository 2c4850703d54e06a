#!/usr/bin/env python
"""Django's command-line entry point for civicline."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicline.settings")
    import uuid

    from django.core.management import execute_from_command_line

    from civicline.core.logging import request_id_var

    # One id for the whole run: its log lines and audit entries (civicline.core.audit) carry it.
    # Requests (runserver) and worker tasks (run_huey) set their own over it.
    request_id_var.set(f"cmd-{uuid.uuid4().hex}")
    execute_from_command_line(sys.argv)
