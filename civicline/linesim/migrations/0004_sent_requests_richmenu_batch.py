"""Sent messages stored once per request with thin recipient rows (a multicast to 500 users was 500
copies of every message); the rich menu batch endpoint's requests. Messages already delivered are
carried over."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import civicline.linesim.models


def carry_over(apps, schema_editor):
    """Group the old per-user rows by request: one SentRequest, its bubbles, one Recipient per user."""
    db = schema_editor.connection.alias
    Delivered = apps.get_model("linesim", "DeliveredMessage")
    SentRequest = apps.get_model("linesim", "SentRequest")
    SentMessage = apps.get_model("linesim", "SentMessage")
    Recipient = apps.get_model("linesim", "Recipient")
    requests: dict[str, object] = {}
    bubbles: dict[str, set[str]] = {}
    reached: set[tuple[str, int]] = set()
    for row in Delivered.objects.using(db).order_by("id").iterator():
        request = requests.get(row.request_id)
        if request is None:
            request = SentRequest.objects.using(db).create(
                request_id=row.request_id,
                api=row.api,
                notification_disabled=row.notification_disabled,
                retry_key=row.retry_key,
                created_at=row.created_at,
            )
            requests[row.request_id], bubbles[row.request_id] = request, set()
        if row.message_id not in bubbles[row.request_id]:
            bubbles[row.request_id].add(row.message_id)
            SentMessage.objects.using(db).create(
                request=request,
                seq=len(bubbles[row.request_id]),
                message_id=row.message_id,
                quote_token=row.quote_token,
                message=row.message,
            )
        if (row.request_id, row.user_id) not in reached:
            reached.add((row.request_id, row.user_id))
            Recipient.objects.using(db).create(request=request, user_id=row.user_id)


class Migration(migrations.Migration):
    dependencies = [
        ("linesim", "0003_login_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="SentRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("request_id", models.CharField(max_length=64, unique=True)),
                (
                    "api",
                    models.CharField(
                        choices=[
                            ("reply", "Reply"),
                            ("push", "Push"),
                            ("multicast", "Multicast"),
                            ("broadcast", "Broadcast"),
                            ("narrowcast", "Narrowcast"),
                        ],
                        max_length=20,
                    ),
                ),
                ("notification_disabled", models.BooleanField(default=False)),
                ("retry_key", models.CharField(blank=True, max_length=64)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.CreateModel(
            name="SentMessage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveSmallIntegerField()),
                (
                    "message_id",
                    models.CharField(
                        default=civicline.linesim.models.new_message_id, max_length=32, unique=True
                    ),
                ),
                ("quote_token", models.CharField(blank=True, max_length=200)),
                ("message", models.JSONField()),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="linesim.sentrequest",
                    ),
                ),
            ],
            options={
                "ordering": ["request_id", "seq"],
                "constraints": [
                    models.UniqueConstraint(fields=("request", "seq"), name="linesim_sent_message_seq")
                ],
            },
        ),
        migrations.CreateModel(
            name="Recipient",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="recipients",
                        to="linesim.sentrequest",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="received",
                        to="linesim.virtualuser",
                    ),
                ),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.DeleteModel(name="DeliveredMessage"),
        migrations.CreateModel(
            name="RichMenuBatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("request_id", models.CharField(max_length=64, unique=True)),
                ("operations", models.JSONField()),
                ("resume_request_key", models.CharField(blank=True, max_length=100)),
                (
                    "phase",
                    models.CharField(
                        choices=[("ongoing", "Ongoing"), ("succeeded", "Succeeded"), ("failed", "Failed")],
                        default="ongoing",
                        max_length=10,
                    ),
                ),
                ("users_changed", models.PositiveIntegerField(default=0)),
                ("accepted_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("completed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"verbose_name_plural": "rich menu batches", "ordering": ["id"]},
        ),
    ]
