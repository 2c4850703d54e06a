from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicline.core.audit import Checkpoint, verify_chain


class Command(BaseCommand):
    help = (
        "Recompute the audit log's keyed hash chain and compare it with the signed checkpoints; "
        "fail naming the first broken entry (X-15)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--checkpoint",
            type=Path,
            action="append",
            default=[],
            help="a checkpoint file kept elsewhere (e.g. from the checkpoint mail); may be repeated",
        )

    def handle(self, *args, checkpoint: list[Path], **options) -> None:
        try:
            extra = [Checkpoint.from_json(path.read_text()) for path in checkpoint]
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"cannot read the checkpoint: {exc}") from exc
        report = verify_chain(extra_checkpoints=extra)
        if not report.ok:
            raise CommandError(
                f"audit chain broken at sequence {report.broken_sequence}: {report.reason} "
                f"({report.checked} entries verified before it)"
            )
        self.stdout.write(f"OK {report.checked} entries")
        if report.checkpoints:
            self.stdout.write(f"{report.checkpoints} checkpoints match")
        if report.unkeyed:
            self.stdout.write(
                f"{report.unkeyed} entries predate the HMAC keys (the keyed ones after them vouch for them)"
            )
