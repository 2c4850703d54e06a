"""Test devices registered before pairing existed were never proven to be their registrant's own.

Any staff member could pick any recently active resident as a "test device" and push text to
them, so none of those registrations can be trusted: they are all removed. Staff pair their own
phones again with a one-time code. A separate migration changes the table: on PostgreSQL a schema
change after deleting referenced rows in the same transaction fails (pending trigger events).
"""

from django.db import migrations


def drop_unproven(apps, schema_editor):
    PreviewRecipient = apps.get_model("line", "PreviewRecipient")
    # Through the ORM, so that references (a rich menu's preview) are cleared as their FKs say.
    PreviewRecipient.objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("line", "0003_direct_message"),
    ]

    operations = [
        migrations.RunPython(drop_unproven, migrations.RunPython.noop, elidable=True),
    ]
