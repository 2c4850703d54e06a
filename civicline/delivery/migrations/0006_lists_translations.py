from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0005_delivery_languages"),
    ]

    operations = [
        migrations.AddField(
            model_name="area",
            name="translations",
            field=models.JSONField(blank=True, default=dict, verbose_name="翻訳"),
        ),
        migrations.AddField(
            model_name="topic",
            name="translations",
            field=models.JSONField(blank=True, default=dict, verbose_name="翻訳"),
        ),
    ]
