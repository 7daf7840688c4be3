"""The dispute types people keep today (two levels); administrators edit them afterwards."""

from django.db import migrations

TYPES = {
    "婚姻家庭": ["婚姻", "赡养抚养", "继承", "家庭暴力"],
    "邻里": ["相邻通行采光", "噪声扰民", "宅基地界址", "日常琐事"],
    "土地承包/流转": ["承包经营权", "土地流转", "林地山林"],
    "征地拆迁": ["征地补偿", "房屋拆迁", "安置"],
    "劳资/欠薪": ["拖欠工资", "工伤赔偿", "劳动合同"],
    "物业": ["物业服务", "物业收费", "业委会"],
    "医疗": ["医疗损害", "医疗费用"],
    "环境": ["污染", "噪声", "生态"],
    "房屋建设": ["施工质量", "工程款", "违章搭建"],
    "经济合同": ["借贷", "买卖", "租赁"],
    "其他": ["其他"],
}


def seed(apps, schema_editor):
    DisputeType = apps.get_model("disputes", "DisputeType")
    for i, (name, children) in enumerate(TYPES.items()):
        top = DisputeType.objects.create(name=name, order=i)
        for j, child in enumerate(children):
            DisputeType.objects.create(name=child, parent=top, order=j)


def unseed(apps, schema_editor):
    DisputeType = apps.get_model("disputes", "DisputeType")
    DisputeType.objects.exclude(parent=None).delete()
    DisputeType.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("disputes", "0002_initial")]
    operations = [migrations.RunPython(seed, unseed)]
