"""The audit log's chain head row, and on PostgreSQL a trigger making the log append-only (X-15).

The trigger refuses every UPDATE, and every DELETE unless the purge service has set
``civicline.audit_purge`` for its own transaction (SET LOCAL), so not even a bug or a stray
statement through the application's connection can rewrite history. SQLite (demo and tests only)
relies on the model and queryset guards; its test-database flush must be able to empty the table.
"""

from django.db import migrations

PG_FORWARD = [
    """
CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('civicline.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'core_auditentry is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER core_auditentry_append_only
    BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only()
""",
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry",
    "DROP FUNCTION IF EXISTS core_auditentry_append_only()",
]


def forward(apps, schema_editor):
    apps.get_model("core", "AuditChainHead").objects.get_or_create(pk=1)
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_FORWARD:
            schema_editor.execute(statement, params=None)  # None: the SQL holds a literal %


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_BACKWARD:
            schema_editor.execute(statement, params=None)  # None: the SQL holds a literal %


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_log")]
    operations = [migrations.RunPython(forward, backward)]
