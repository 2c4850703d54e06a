import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_audit_append_only"),
        ("line", "0004_preview_recipient_drop_unproven"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The table is empty here (0004), so the column can become required without a default.
        migrations.RenameField(
            model_name="previewrecipient",
            old_name="registered_by",
            new_name="owner",
        ),
        migrations.AlterField(
            model_name="previewrecipient",
            name="owner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="所有者",
            ),
        ),
        migrations.CreateModel(
            name="PreviewPairingCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("label", models.CharField(max_length=60, verbose_name="テスト端末の名前")),
                ("code_hash", models.CharField(db_index=True, max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="発行日時")),
                ("expires_at", models.DateTimeField(verbose_name="有効期限")),
                ("used_at", models.DateTimeField(blank=True, null=True, verbose_name="使用日時")),
                (
                    "department",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.department",
                        verbose_name="課",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="発行した職員",
                    ),
                ),
                (
                    "recipient",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="line.previewrecipient",
                        verbose_name="登録したテスト端末",
                    ),
                ),
            ],
            options={
                "verbose_name": "テスト端末のペアリングコード",
                "verbose_name_plural": "テスト端末のペアリングコード",
                "ordering": ["-created_at", "-pk"],
            },
        ),
    ]
