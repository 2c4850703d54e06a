"""The audience rows keyed by (delivery, batch, friend), without a surrogate id: two million rows are
written during a send, and a row with one index fewer costs a third less.

Django cannot turn an existing table's key into a composite one, so the table is made anew; the
rows it held (who got a delivery sent since the previous migration) are carried over.
"""

import django.db.models.deletion
from django.db import migrations, models


def carry_over(apps, schema_editor):
    Old = apps.get_model("delivery", "DeliveryAudienceOld")
    New = apps.get_model("delivery", "DeliveryAudience")
    rows = Old.objects.values_list("delivery_id", "batch", "friend_id").order_by("delivery_id", "batch")
    New.objects.bulk_create(
        (New(delivery_id=d, batch=b, friend_id=f) for d, b, f in rows.iterator()),
        batch_size=5000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0002_scale_sending"),
        ("line", "0001_initial"),
    ]

    operations = [
        migrations.RenameModel("DeliveryAudience", "DeliveryAudienceOld"),
        migrations.RemoveIndex(model_name="deliveryaudienceold", name="delivery_audience_batch"),
        migrations.CreateModel(
            name="DeliveryAudience",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "delivery", "batch", "friend", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "delivery",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="delivery.delivery",
                    ),
                ),
                ("batch", models.PositiveIntegerField(default=0)),
                (
                    "friend",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="line.friend",
                    ),
                ),
            ],
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.DeleteModel("DeliveryAudienceOld"),
    ]
