from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from civicline.ops import services
from civicline.ops.archive import ArchiveError


class Command(BaseCommand):
    help = (
        "Write an encrypted, compressed backup of the database and media files into BACKUP_DIR, "
        "then keep only the newest --keep archives (X-13)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--keep", type=int, default=None, help="archives to keep (default: BACKUP_KEEP, 14)"
        )

    def handle(self, *args, keep: int | None, **options) -> None:
        if keep is not None and keep < 1:
            raise CommandError("--keep must be 1 or more")
        try:
            result = services.backup_create(keep=keep, actor_label="manage.py backup")
        except (ArchiveError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{result.archive.path} ({result.archive.size} bytes, {result.vendor} database, "
            f"{result.media_files} media files)"
        )
