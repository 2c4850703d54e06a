import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reservations", "0003_questions_to_forms"),
    ]

    operations = [
        migrations.RemoveField(model_name="service", name="questions"),
        migrations.RemoveField(model_name="booking", name="answers"),
        migrations.AlterField(
            model_name="service",
            name="form",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="service",
                to="forms.form",
                verbose_name="追加の質問",
            ),
        ),
    ]
