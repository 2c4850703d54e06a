"""Models that exist only to test core mechanisms (encrypted fields) apart from any feature."""

from django.db import models

from civicline.core.crypto import EncryptedCharField, EncryptedJSONField


class SealedNote(models.Model):
    name = EncryptedCharField(blank=True, null=True)
    answers = EncryptedJSONField(null=True)

    class Meta:
        app_label = "testapp"

    def __str__(self) -> str:
        return f"note {self.pk}"
