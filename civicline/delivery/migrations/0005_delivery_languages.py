from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0004_delivery_emergency"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="sent_versions",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="deliverybatch",
            name="language",
            field=models.CharField(default="ja", max_length=16),
        ),
        migrations.AddField(
            model_name="deliverymessage",
            name="translations",
            field=models.JSONField(blank=True, default=dict, verbose_name="翻訳"),
        ),
    ]
