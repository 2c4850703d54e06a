from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicline.ops import services
from civicline.ops.handover import ExportStats, export_entries, write_directory


class Command(BaseCommand):
    help = (
        "Export every record of every civicline app to DIR as CSV + JSON Lines, with uploaded files "
        "and a README.md describing each file, for handing the data to another system (X-20)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options) -> None:
        if directory.exists() and any(directory.iterdir()):
            raise CommandError(f"{directory} is not empty")
        services.handover_export_record(actor_label="manage.py export_all", destination=str(directory))
        stats = ExportStats()
        write_directory(directory, export_entries(stats))
        self.stdout.write(
            f"{len(stats.models)} tables, {stats.rows} rows, {stats.files} files → {directory}"
            + (
                f" ({len(stats.missing_files)} files missing, listed in README.md)"
                if stats.missing_files
                else ""
            )
        )
