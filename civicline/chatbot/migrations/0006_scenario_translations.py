# Residents' languages (issue 21): the scenario tree's buttons and answers per language.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('chatbot', '0005_translations'),
    ]

    operations = [
        migrations.AddField(
            model_name='scenarionode',
            name='translations',
            field=models.JSONField(blank=True, default=dict, verbose_name='翻訳'),
        ),
    ]
