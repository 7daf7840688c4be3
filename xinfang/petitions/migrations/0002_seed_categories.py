from django.db import migrations


def seed(apps, schema_editor):
    from xinfang.petitions.categories import NATIONAL_CATEGORIES

    Category = apps.get_model("petitions", "Category")
    for i, (top, items) in enumerate(NATIONAL_CATEGORIES.items(), start=1):
        parent, _ = Category.objects.get_or_create(parent=None, name=top, defaults={"order": i})
        for j, name in enumerate(items, start=1):
            Category.objects.get_or_create(parent=parent, name=name, defaults={"order": j})


class Migration(migrations.Migration):
    dependencies = [("petitions", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
