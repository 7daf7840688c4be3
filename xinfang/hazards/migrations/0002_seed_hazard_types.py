from django.db import migrations

TYPES = [
    "消防",
    "用电",
    "特种设备",
    "危化品",
    "燃气",
    "建筑施工",
    "道路交通",
    "非法开采",
    "有限空间",
    "粉尘防爆",
    "其他",
]


def seed(apps, schema_editor):
    HazardType = apps.get_model("hazards", "HazardType")
    for order, name in enumerate(TYPES, start=1):
        HazardType.objects.get_or_create(name=name, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("hazards", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
