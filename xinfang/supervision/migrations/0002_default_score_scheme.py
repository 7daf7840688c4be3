from django.db import migrations


def add_default(apps, schema_editor):
    ScoreScheme = apps.get_model("supervision", "ScoreScheme")
    ScoreScheme.objects.get_or_create(
        name="县级信访工作考核方案（默认）",
        defaults=dict(
            active=True,
            timely_acceptance=5,
            on_time_reply=10,
            satisfaction=10,
            participation=5,
            per_repeat=1,
            ownership_threshold=85,
            ownership_penalty=5,
        ),
    )


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(add_default, migrations.RunPython.noop)]
