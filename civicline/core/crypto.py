"""Encrypted personal-data fields (X-16).

Values are sealed with Fernet (AES-CBC + HMAC-SHA256: authenticated, so a tampered column fails
to decrypt instead of yielding garbage). ``FIELD_ENCRYPTION_KEYS`` lists keys newest first: new
values use the newest, any listed key decrypts, and ``rotate_encryption_keys`` re-seals old rows.
Ciphertext is randomised, so these fields cannot be searched or filtered on, only read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, router, transaction
from django.db.models import Value
from django.db.models.functions import Cast


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key") from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def seal(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def unseal(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("an encrypted value could not be decrypted with any configured key") from exc


def generate_key() -> str:
    return Fernet.generate_key().decode()


class EncryptedTextField(models.TextField):
    """Text stored encrypted; reads give the plaintext back."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return seal(self.to_plaintext(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return self.from_plaintext(unseal(value))

    def to_plaintext(self, value: Any) -> str:
        return str(value)

    def from_plaintext(self, text: str) -> Any:
        return text

    def get_lookup(self, lookup_name: str):
        # Equality on randomised ciphertext would silently match nothing; only isnull makes sense.
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)


class EncryptedCharField(EncryptedTextField):
    """An encrypted short text: a form shows a one-line input; the column is unbounded text."""

    def formfield(self, **kwargs: Any):
        from django import forms

        return super().formfield(**{"widget": forms.TextInput, **kwargs})


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (e.g. a form's answers) stored encrypted."""

    # What django-stubs types the model attribute as: the JSON value, not the text column's str.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def to_plaintext(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def from_plaintext(self, text: str) -> Any:
        return json.loads(text)

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return seal(self.to_plaintext(value))

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: models.Model) -> str:
        return self.to_plaintext(self.value_from_object(obj))


def encrypted_fields() -> Iterator[tuple[type[models.Model], list[EncryptedTextField]]]:
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            yield model, fields


def _sealed_with_newest(token: str) -> bool:
    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate_model(model: type[models.Model], fields: list[EncryptedTextField]) -> int:
    """Re-seal with the newest key every stored value that an older key sealed; returns rows changed.

    Reads and writes the raw tokens (cast to plain text, so the field never decrypts them), so
    rotation cannot alter the data.
    """
    raw = {f"raw_{f.attname}": Cast(f.attname, models.TextField()) for f in fields}
    multi = fernet()
    changed = 0
    rows = model._base_manager.annotate(**raw).values_list("pk", *raw)
    with transaction.atomic(using=router.db_for_write(model)):
        for pk, *tokens in rows.iterator(chunk_size=500):
            if all(t is None or _sealed_with_newest(t) for t in tokens):
                continue
            rotated = {
                f.attname: Value(None if t is None else multi.rotate(t.encode()).decode(), models.TextField())
                for f, t in zip(fields, tokens, strict=True)
            }
            model._base_manager.filter(pk=pk).update(**rotated)
            changed += 1
    return changed
