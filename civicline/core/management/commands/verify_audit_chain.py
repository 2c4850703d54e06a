from django.core.management.base import BaseCommand, CommandError

from civicline.core.audit import verify_chain


class Command(BaseCommand):
    help = "Recompute the audit log's hash chain; fail naming the first broken entry (X-15)."

    def handle(self, *args, **options) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"audit chain broken at sequence {report.broken_sequence}: {report.reason} "
                f"({report.checked} entries verified before it)"
            )
        self.stdout.write(f"OK {report.checked} entries")
