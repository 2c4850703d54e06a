import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("forms", "0002_form_all_personal"),
        ("reservations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="service",
            name="form",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="service",
                to="forms.form",
                verbose_name="追加の質問",
            ),
        ),
        migrations.AddField(
            model_name="booking",
            name="response",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="booking",
                to="forms.response",
                verbose_name="質問への回答",
            ),
        ),
    ]
