"""督办 and 催办 name their cases by type key and id (any registered case type), beside the old
links to petition matters, which 0004 copies over and 0005 removes. The old link of a Reminder
becomes optional here so that going back can restore it."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0010_event_step_facts_resolution"),
        ("supervision", "0002_default_score_scheme"),
    ]

    operations = [
        migrations.CreateModel(
            name="SupervisedCase",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("case_type", models.CharField(max_length=30, verbose_name="案件类型")),
                ("case_id", models.BigIntegerField(verbose_name="案件")),
                (
                    "supervision",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="case_refs",
                        to="supervision.supervision",
                    ),
                ),
            ],
            options={
                "verbose_name": "督办所涉案件",
                "verbose_name_plural": "督办所涉案件",
                "ordering": ["id"],
                "indexes": [models.Index(fields=["case_type", "case_id"], name="supervision_case_ref")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("supervision", "case_type", "case_id"), name="supervision_case_once"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="reminder",
            name="case_type",
            field=models.CharField(default="", max_length=30, verbose_name="案件类型"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="reminder",
            name="case_id",
            field=models.BigIntegerField(null=True, verbose_name="案件"),
        ),
        migrations.AlterField(
            model_name="reminder",
            name="matter",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="reminders",
                to="petitions.matter",
            ),
        ),
    ]
