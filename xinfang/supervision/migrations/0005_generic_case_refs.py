"""The old links to petition matters go: 督办 and 催办 now name their cases by type key and id."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0004_copy_case_refs"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="reminder",
            name="matter",
        ),
        migrations.RemoveField(
            model_name="supervision",
            name="matters",
        ),
        migrations.AlterField(
            model_name="reminder",
            name="case_id",
            field=models.BigIntegerField(verbose_name="案件"),
        ),
        migrations.AddIndex(
            model_name="reminder",
            index=models.Index(fields=["case_type", "case_id"], name="supervision_reminder_case"),
        ),
    ]
