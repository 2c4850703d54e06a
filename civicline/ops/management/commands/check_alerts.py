from django.core.management.base import BaseCommand

from civicline.ops import services


class Command(BaseCommand):
    help = (
        "Run every operations alert check now and mail system administrators about changes. "
        "Run it from cron on a web host too: a stopped worker cannot report itself (X-17)."
    )

    def handle(self, *args, **options) -> None:
        changed = services.alerts_evaluate()
        for state in changed:
            self.stdout.write(f"{'ALERT' if state.active else 'resolved'} {state.key}: {state.message}")
        if not changed:
            self.stdout.write("no change")
