from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from civicline.core.audit import RetentionTooShort, purge_expired


class Command(BaseCommand):
    help = "Delete audit entries older than AUDIT_RETENTION_DAYS, keeping the remaining chain verifiable."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"days to keep: AUDIT_RETENTION_DAYS ({settings.AUDIT_RETENTION_DAYS}, the default) or more",
        )

    def handle(self, *args, days: int | None = None, **options) -> None:
        try:
            count = purge_expired(retention_days=days)
        except RetentionTooShort as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"purged {count} entries")
