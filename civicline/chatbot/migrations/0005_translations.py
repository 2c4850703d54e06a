# Residents' languages (issue 21): Q&A, garbage items and categories per language.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('chatbot', '0004_knowledge_import'),
    ]

    operations = [
        migrations.AddField(
            model_name='faqentry',
            name='translations',
            field=models.JSONField(blank=True, default=dict, verbose_name='翻訳'),
        ),
        migrations.AddField(
            model_name='garbagecategory',
            name='translations',
            field=models.JSONField(blank=True, default=dict, verbose_name='翻訳'),
        ),
        migrations.AddField(
            model_name='garbageitem',
            name='translations',
            field=models.JSONField(blank=True, default=dict, verbose_name='翻訳'),
        ),
    ]
