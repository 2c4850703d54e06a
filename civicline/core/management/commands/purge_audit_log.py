from django.conf import settings
from django.core.management.base import BaseCommand

from civicline.core.audit import purge_expired


class Command(BaseCommand):
    help = "Delete audit entries older than AUDIT_RETENTION_DAYS, keeping the remaining chain verifiable."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"retention in days (default: AUDIT_RETENTION_DAYS = {settings.AUDIT_RETENTION_DAYS})",
        )

    def handle(self, *args, days: int | None = None, **options) -> None:
        count = purge_expired(retention_days=days)
        self.stdout.write(f"purged {count} entries")
