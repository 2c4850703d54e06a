from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from civicline.ops import services
from civicline.ops.archive import ArchiveError


class Command(BaseCommand):
    help = (
        "Replace the database and put back the media files from a backup archive (X-13). "
        "Stop the web servers and workers first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, archive: Path, yes: bool, **options) -> None:
        if not archive.is_file():
            raise CommandError(f"{archive}: no such file")
        if not yes and input(f"Replace ALL current data with {archive.name}? [y/N] ").strip().lower() != "y":
            raise CommandError("cancelled")
        try:
            manifest = services.backup_restore(archive=archive, actor_label="manage.py restore")
        except (ArchiveError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restored {archive.name} (made {manifest['created_at']}). "
            "Run `python manage.py migrate` if the backup predates the installed version."
        )
