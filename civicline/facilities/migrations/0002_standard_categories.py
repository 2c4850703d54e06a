from django.db import migrations

from civicline.facilities.models import FacilityCategory


def create(apps, schema_editor):
    FacilityCategory.ensure_standard(apps.get_model("facilities", "FacilityCategory"))


class Migration(migrations.Migration):
    dependencies = [("facilities", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
