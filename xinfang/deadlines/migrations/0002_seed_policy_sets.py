from django.db import migrations


def seed(apps, schema_editor):
    from xinfang.deadlines.policies import POLICY_SETS

    PolicySet = apps.get_model("deadlines", "PolicySet")
    PolicyRule = apps.get_model("deadlines", "PolicyRule")
    for name, (label, rules) in POLICY_SETS.items():
        ps, _ = PolicySet.objects.get_or_create(name=name, defaults={"label": label})
        for step, period in rules.items():
            PolicyRule.objects.get_or_create(
                policy_set=ps, step=step, defaults={"days": period.days, "working": period.working}
            )


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
