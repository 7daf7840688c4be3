"""Copy the matters of each supervision and of each reminder to the generic columns (type key
"matter"). Going back copies them again; supervisions' and reminders' references to cases of other
types cannot be kept in the old columns and are deleted then."""

from django.db import migrations
from django.db.models import F

BATCH = 2000


def forward(apps, schema_editor):
    Reminder = apps.get_model("supervision", "Reminder")
    Supervision = apps.get_model("supervision", "Supervision")
    SupervisedCase = apps.get_model("supervision", "SupervisedCase")
    Reminder.objects.update(case_type="matter", case_id=F("matter_id"))
    links = Supervision.matters.through.objects.order_by("id").values_list("supervision_id", "matter_id")
    rows = [SupervisedCase(supervision_id=sup, case_type="matter", case_id=matter) for sup, matter in links]
    SupervisedCase.objects.bulk_create(rows, batch_size=BATCH)


def backward(apps, schema_editor):
    Reminder = apps.get_model("supervision", "Reminder")
    Supervision = apps.get_model("supervision", "Supervision")
    SupervisedCase = apps.get_model("supervision", "SupervisedCase")
    Reminder.objects.exclude(case_type="matter").delete()
    Reminder.objects.update(matter_id=F("case_id"))
    Link = Supervision.matters.through
    refs = (
        SupervisedCase.objects.filter(case_type="matter")
        .order_by("id")
        .values_list("supervision_id", "case_id")
    )
    Link.objects.bulk_create([Link(supervision_id=sup, matter_id=pk) for sup, pk in refs], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0003_case_refs")]

    operations = [migrations.RunPython(forward, backward)]
