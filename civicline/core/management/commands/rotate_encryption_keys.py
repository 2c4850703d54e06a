from django.core.management.base import BaseCommand

from civicline.core.crypto import encrypted_fields, rotate_model


class Command(BaseCommand):
    help = "Re-encrypt personal-data fields with the newest key in FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options) -> None:
        total = 0
        for model, fields in encrypted_fields():
            changed = rotate_model(model, fields)
            total += changed
            self.stdout.write(f"{model._meta.label}: {changed} rows re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"done: {total} rows re-encrypted"))
