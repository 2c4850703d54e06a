"""Sending at LINE's ceiling: a batch carries its own retry key and outcome (recorded in bulk), the
audience rows carry their batch and are kept; the weekly cap, retry time and unfollow counts.

Batches recorded before this migration took their outcome and retry key from their multicast's
OutboundSend (one request each), so a delivery being sent during the upgrade is neither resent
under a new key nor reported as failed while the line worker still retries it.
"""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def from_sends(apps, schema_editor):
    Batch = apps.get_model("delivery", "DeliveryBatch")
    outcome = {"sent": "accepted", "failed": "failed", "partial": "failed"}
    for batch in Batch.objects.exclude(send=None).select_related("send"):
        batch.status = outcome.get(batch.send.status, "retrying")
        batch.retry_key = batch.send.retry_key
        batch.request_id = batch.send.request_id
        batch.http_status = batch.send.http_status
        batch.error = batch.send.error
        batch.save(update_fields=["status", "retry_key", "request_id", "http_status", "error"])


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0001_initial"),
        ("line", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="deliveryaudience", name="delivery_de_deliver_ec7a51_idx"),
        migrations.AlterField(
            model_name="deliveryaudience",
            name="delivery",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="delivery.delivery",
            ),
        ),
        migrations.AlterField(
            model_name="deliveryaudience",
            name="friend",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="line.friend",
            ),
        ),
        migrations.AddField(
            model_name="deliveryaudience", name="batch", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddIndex(
            model_name="deliveryaudience",
            index=models.Index(fields=["delivery", "batch"], name="delivery_audience_batch"),
        ),
        migrations.RemoveField(model_name="deliverybatch", name="last_audience_id"),
        migrations.AddField(
            model_name="deliverybatch", name="last_friend_id", field=models.BigIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="deliverybatch",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "送信待ち"),
                    ("retrying", "再試行待ち"),
                    ("accepted", "LINEが受付"),
                    ("failed", "失敗"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="deliverybatch",
            name="retry_key",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AddField(
            model_name="deliverybatch", name="request_id", field=models.CharField(blank=True, max_length=64)
        ),
        migrations.AddField(
            model_name="deliverybatch",
            name="http_status",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="deliverybatch", name="attempts", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddField(model_name="deliverybatch", name="error", field=models.TextField(blank=True)),
        migrations.AddField(
            model_name="deliverybatch",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="deliverybatch", name="updated_at", field=models.DateTimeField(auto_now=True)
        ),
        migrations.AddIndex(
            model_name="deliverybatch",
            index=models.Index(fields=["delivery", "status"], name="delivery_batch_status"),
        ),
        migrations.RunPython(from_sends, migrations.RunPython.noop),
        migrations.AddField(
            model_name="delivery",
            name="capped_count",
            field=models.PositiveIntegerField(default=0, verbose_name="週の上限で除外"),
        ),
        migrations.AddField(
            model_name="delivery", name="retry_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="delivery",
            name="unfollows",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="配信後24時間のブロック・友だち削除"
            ),
        ),
        migrations.AddField(
            model_name="delivery",
            name="unfollows_counted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
