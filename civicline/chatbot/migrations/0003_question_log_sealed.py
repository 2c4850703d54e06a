"""Questions already logged are masked again (now street addresses too), sealed, and re-keyed."""

import civicline.core.crypto
from django.db import migrations, models


def seal_logged_questions(apps, schema_editor):
    from civicline.chatbot.privacy import mask_personal_data, question_key
    from civicline.core.crypto import seal

    # Raw SQL: the model of this state would try to decrypt the plaintext still in the column.
    table = schema_editor.connection.ops.quote_name("chatbot_questionlog")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, text FROM {table}")  # noqa: S608 - a fixed table name
        rows = cursor.fetchall()
        for pk, text in rows:
            masked = mask_personal_data(text)
            cursor.execute(
                f"UPDATE {table} SET text = %s, key = %s WHERE id = %s",  # noqa: S608
                [seal(masked), question_key(masked), pk],
            )


class Migration(migrations.Migration):

    dependencies = [
        ('chatbot', '0002_web_import'),
    ]

    operations = [
        migrations.AlterField(
            model_name='questionlog',
            name='text',
            field=civicline.core.crypto.EncryptedCharField(verbose_name='質問（個人情報を除去）'),
        ),
        migrations.RunPython(seal_logged_questions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='questionlog',
            name='key',
            field=models.CharField(db_index=True, max_length=64),
        ),
    ]
