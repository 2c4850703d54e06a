"""Encrypted personal-data fields (X-16): nothing readable at rest, keys rotate without loss."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from civicline.core.crypto import generate_key
from tests.testapp.models import SealedNote


def raw_columns(note: SealedNote) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, answers FROM testapp_sealednote WHERE id = %s", [note.pk])
        return cursor.fetchone()


@pytest.mark.django_db
def test_personal_data_is_unreadable_in_the_database_and_reads_back_intact():
    note = SealedNote.objects.create(name="山田 花子", answers={"電話": "06-1234-5678"})

    raw_name, raw_answers = raw_columns(note)
    assert "山田" not in raw_name and "花子" not in raw_name
    assert "06-1234-5678" not in raw_answers
    stored = SealedNote.objects.get(pk=note.pk)
    assert stored.name == "山田 花子"
    assert stored.answers == {"電話": "06-1234-5678"}


@pytest.mark.django_db
def test_same_value_encrypts_differently_each_time():
    a = SealedNote.objects.create(name="同じ名前")
    b = SealedNote.objects.create(name="同じ名前")
    assert raw_columns(a)[0] != raw_columns(b)[0]


@pytest.mark.django_db
def test_tampered_ciphertext_is_refused_not_misread():
    note = SealedNote.objects.create(name="山田")
    token = raw_columns(note)[0]
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE testapp_sealednote SET name = %s WHERE id = %s", [tampered, note.pk])
    with pytest.raises(ValueError):
        SealedNote.objects.get(pk=note.pk)


@pytest.mark.django_db
def test_filtering_on_ciphertext_is_refused_rather_than_silently_empty():
    with pytest.raises(Exception, match="Unsupported lookup"):
        list(SealedNote.objects.filter(name="山田"))


@pytest.mark.django_db
def test_key_rotation_reseals_old_rows_with_the_newest_key(settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    note = SealedNote.objects.create(name="佐藤", answers={"a": 1})
    before = raw_columns(note)

    new_key = generate_key()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_encryption_keys", stdout=StringIO())

    assert raw_columns(note) != before
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key can now be retired
    stored = SealedNote.objects.get(pk=note.pk)
    assert (stored.name, stored.answers) == ("佐藤", {"a": 1})


@pytest.mark.django_db
def test_rotation_leaves_rows_already_on_the_newest_key_alone(settings):
    note = SealedNote.objects.create(name="鈴木")
    before = raw_columns(note)
    call_command("rotate_encryption_keys", stdout=StringIO())
    assert raw_columns(note) == before
