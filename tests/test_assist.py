"""Case intelligence in the product: routing rules, model versions, the registration and dispatch
suggestions with their feedback, similar and repeat matters, 急事急报 and collective petitions."""

import csv
import re

import pytest
from conftest import PETITIONER, matter_fields, sign_in
from django.core.management import CommandError, call_command
from django.urls import reverse

from xinfang.assist import rules, similar_matters, training
from xinfang.assist.escalation import escalate
from xinfang.assist.models import Feedback, ModelVersion, RoutingRule
from xinfang.assist.suggest import suggest_category, suggest_unit
from xinfang.core import clock
from xinfang.core.models import Notification
from xinfang.intelligence import routing
from xinfang.petitions.choices import Nature, Status
from xinfang.petitions.models import Category, Matter
from xinfang.petitions.services import TransitionError, link_repeat, register_matter


@pytest.fixture(autouse=True)
def _fresh_caches(settings, tmp_path):
    settings.XINFANG_SIMILAR_DIR = tmp_path / "similar"
    training.forget_loaded()
    similar_matters.INDEX.reset()
    yield
    training.forget_loaded()
    similar_matters.INDEX.reset()


# ---------------------------------------------------------------- routing rules (plain Python)


def rule(target, category=None, path="", level=0):
    return routing.Rule(
        target_id=target,
        target_name=f"单位{target}",
        category_id=category,
        category_name=f"分类{category}",
        division_path=path,
        division_name=f"区划{path}",
        division_level=level,
    )


def test_most_specific_rule_decides():
    rules_ = [
        rule(1, path="/a/", level=3),  # 属地: the district
        rule(2, category=10),  # 属事: the parent category
        rule(3, category=11),  # 属事: the item itself
        rule(4, category=11, path="/a/b/", level=4),  # the township handles this item itself
    ]
    assert routing.route(rules_, "/a/b/c/", 11, 10).target_id == 4
    assert routing.route(rules_, "/a/x/", 11, 10).target_id == 3  # outside the township
    assert routing.route(rules_, "/a/x/", 12, 10).target_id == 2  # another item of the same parent
    assert routing.route(rules_, "/a/x/", 99, 98).target_id == 1  # only the place matches
    assert routing.route(rules_, "/z/", 99, 98).target_id is None


def test_equally_specific_rules_are_a_tie_not_a_guess():
    found = routing.route([rule(1, category=11), rule(2, category=11)], "/a/", 11, 10)
    assert not found.certain
    assert {r.target_id for r in found.candidates} == {1, 2}
    assert "单位1" in found.reason and "单位2" in found.reason


def test_a_rule_to_a_unit_that_may_not_receive_the_matter_does_not_count():
    found = routing.route([rule(1, category=11), rule(2, category=10)], "/a/", 11, 10, allowed_ids={2})
    assert found.target_id == 2


# ---------------------------------------------------------------- rules from the unit tree


@pytest.fixture
def routed(world):
    u = world.units
    for unit in (u.housing, u.d1_dept, u.t1, u.d2_dept):
        unit.categories.set([world.category])
    made = {owner: rules.derive_rules(owner) for owner in (u.city_bureau, u.d1_bureau)}
    return made


def test_derived_rules_follow_the_unit_tree(world, routed):
    u = world.units
    city = set(RoutingRule.objects.filter(owner=u.city_bureau).values_list("category", "division", "target"))
    assert city == {
        (world.category.pk, None, u.housing.pk),
        (None, world.divisions.d1.pk, u.d1_bureau.pk),
        (None, world.divisions.d2.pk, u.d2_bureau.pk),
    }
    district = set(
        RoutingRule.objects.filter(owner=u.d1_bureau).values_list("category", "division", "target")
    )
    assert district == {
        (world.category.pk, None, u.d1_dept.pk),
        (world.category.pk, world.divisions.township.pk, u.t1.pk),
    }
    assert rules.derive_rules(u.city_bureau) == 0  # running again adds nothing


def test_rules_route_by_place_and_kind(world, routed, driver):
    u = world.units
    in_township = driver.register()
    elsewhere = driver.register(division=world.divisions.other_township)
    assert rules.route_matter(in_township, u.city_bureau).target_id == u.housing.pk
    assert rules.route_matter(in_township, u.d1_bureau).target_id == u.t1.pk
    assert rules.route_matter(elsewhere, u.d1_bureau).target_id == u.d1_dept.pk
    RoutingRule.objects.filter(owner=u.d1_bureau, target=u.t1).update(active=False)
    assert rules.route_matter(in_township, u.d1_bureau).target_id == u.d1_dept.pk


# ---------------------------------------------------------------- model versions


def test_default_model_versions_and_rollback(world):
    first = training.train("category", by="测试", use_corpus=True)
    assert first.source == ModelVersion.Source.DEFAULT and first.active and first.number == 1
    assert first.test_count > 0 and 0.5 < first.macro_f1 <= 1
    assert first.label_count > 50  # the corpus covers the national second-level items
    second = training.train("category", by="测试", use_corpus=True)
    assert second.number == 2
    assert list(ModelVersion.objects.filter(active=True).values_list("number", flat=True)) == [2]
    assert training.rollback("category").number == 1
    assert list(ModelVersion.objects.filter(active=True).values_list("number", flat=True)) == [1]
    with pytest.raises(training.TrainingError, match="没有更早的版本"):
        training.rollback("category")


def test_history_replaces_the_corpus_once_there_is_enough(world, driver, settings):
    settings.XINFANG_MODEL_MIN_HISTORY = 20
    other = Category.objects.get(name="工资福利")
    for i in range(12):
        driver.register(
            title=f"小区物业乱收费第{i}号", content="物业公司擅自提高物业费和停车费，业主不同意。"
        )
        driver.register(
            category=other,
            title=f"工地拖欠工资第{i}号",
            content="建筑工地老板拖欠我们农民工工资半年，一直不给。",
        )
    version = training.train("category")
    assert version.source == ModelVersion.Source.HISTORY
    assert version.label_count == 2 and version.train_count + version.test_count == 24
    advice = suggest_category("讨要工资", "包工头拖欠农民工工资不发")
    assert advice.items[0].category == other
    assert advice.items[0].confidence > advice.items[1].confidence
    assert any(w in "讨要工资包工头拖欠农民工工资不发" for w in advice.items[0].words)


def test_unit_model_needs_history(world):
    with pytest.raises(training.TrainingError, match="交办记录"):
        training.train("unit")


def test_model_command(world, tmp_path, capsys):
    call_command("model", "train", "--kind", "category", "--default")
    call_command("model", "train", "--kind", "category", "--default")
    call_command("model", "rollback", "category")
    call_command("model", "list")
    out = capsys.readouterr().out
    assert "已回退到 内容分类模型 v1（启用中）" in out
    assert "内容分类模型 v2：默认模型" in out


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "title", "text", "label"])
        w.writerows(rows)


def test_evaluate_command_prints_the_summary_last(tmp_path, capsys):
    from xinfang.intelligence.corpus import default_corpus

    rows = [(i, t, x, leaf) for i, (t, x, leaf) in enumerate(default_corpus(per_template=3))]
    write_csv(tmp_path / "train.csv", [r for r in rows if r[0] % 3])
    write_csv(tmp_path / "test.csv", [r for r in rows if not r[0] % 3])
    call_command(
        "model", "evaluate", "--train", str(tmp_path / "train.csv"), "--test", str(tmp_path / "test.csv")
    )
    last = capsys.readouterr().out.strip().splitlines()[-1]
    keys = [part.split("=")[0] for part in last.split()]
    assert keys == ["macro_f1", "accuracy", "baseline_macro_f1", "ms_per_doc"]
    assert all(0 <= float(part.split("=")[1]) for part in last.split())
    assert re.match(
        r"^macro_f1=\d\.\d{4} accuracy=\d\.\d{4} baseline_macro_f1=\d\.\d{4} ms_per_doc=\d+\.\d{2}$", last
    )
    with pytest.raises(CommandError, match="找不到"):
        call_command("model", "evaluate", "--train", str(tmp_path / "none.csv"), "--test", "x")


# ---------------------------------------------------------------- registration and dispatch pages


def test_intake_panel_suggests_and_registration_records_the_feedback(client, world):
    training.train("category", by="测试", use_corpus=True)
    sign_in(client, "alice")
    text = {
        "title": "物业公司乱收停车费",
        "content": "小区物业公司擅自把停车费从每月100元提高到300元，业主不同意。",
    }
    panel = client.post(reverse("assist:intake"), text)
    assert panel.status_code == 200
    body = panel.content.decode()
    assert 'data-fill="id_category"' in body and 'name="assist_category"' in body
    suggested = Category.objects.get(pk=panel.context["best"].category.pk)
    assert suggested.name == "物业管理"

    def register(category):
        data = {
            **{k: v for k, v in matter_fields(world).items() if k not in {"division", "category"}},
            **text,
            "received_at": "2025-03-03T10:00",
            "headcount": "1",
            "division": world.divisions.village.pk,
            "category": category.pk,
            "assist_category": str(suggested.pk),
            "assist_category_confidence": "0.8",
            "assist_category_version": str(panel.context["advice"].version.pk),
            "p-TOTAL_FORMS": "1",
            "p-INITIAL_FORMS": "0",
            "p-0-name": "李明",
        }
        return client.post(reverse("petitions:register"), data)

    assert register(suggested).status_code == 302
    assert register(Category.objects.get(name="市政设施")).status_code == 302
    accepted, corrected = Feedback.objects.order_by("at", "id")
    assert accepted.accepted and accepted.chosen == str(suggested.pk)
    assert not corrected.accepted and corrected.suggested == str(suggested.pk)
    assert corrected.model_version.number == 1


def test_intake_panel_is_for_registering_staff(client, world):
    sign_in(client, "hugo")
    assert client.post(reverse("assist:intake"), {"title": "x"}).status_code == 403


def test_dispatch_page_offers_the_rule_and_records_the_choice(client, world, routed, driver):
    matter = driver.register()
    sign_in(client, "bob")
    url = reverse("petitions:act", kwargs={"pk": matter.pk, "action": "assign"})
    page = client.get(url)
    advice = page.context["unit_advice"]
    assert advice.certain and advice.items[0].unit == world.units.housing
    assert "属事规则" in page.content.decode()
    response = client.post(
        url,
        {
            "version": matter.version,
            "unit": world.units.d1_bureau.pk,
            "note": "",
            "assist_unit": str(world.units.housing.pk),
            "assist_unit_confidence": "1",
        },
    )
    assert response.status_code == 302
    fb = Feedback.objects.get(kind="unit")
    assert not fb.accepted and fb.chosen == str(world.units.d1_bureau.pk)


def test_accused_unit_is_never_suggested(world, routed, driver):
    u = world.units
    matter = driver.register(nature=Nature.ACCUSATION, complained_unit=u.housing)
    allowed = {x.pk for x in (u.d1_bureau, u.d2_bureau, u.discipline)}
    advice = suggest_unit(matter, u.city_bureau, allowed)
    assert u.housing not in [s.unit for s in advice.items]


# ---------------------------------------------------------------- similar and repeat matters


def test_similar_panel_finds_the_earlier_filing_with_reasons(client, world, driver):
    first = driver.register()
    driver.tick(3)
    driver.register(title="学校门口交通拥堵", content="每天早上学校门口车辆乱停，孩子过马路很危险。")
    again = driver.register(content=matter_fields(world)["content"] + "至今没有解决。")
    sign_in(client, "alice")
    page = client.get(reverse("assist:similar", kwargs={"pk": again.pk}))
    found = page.context["similar"]
    assert found[0].matter == first
    assert "同一信访人" in found[0].reasons and "同一问题属地" in found[0].reasons
    assert again not in [s.matter for s in found]


def test_similar_matters_respect_scope(world, driver):
    hidden = driver.register(nature=Nature.ACCUSATION, complained_unit=world.units.d1_bureau)
    probe = driver.register()
    seen = [s.matter for s in similar_matters.for_matter(probe, world.dave)]
    assert hidden not in seen  # the accused unit never sees the accusation


def test_link_repeat_and_finality(world, driver):
    closed = driver.to(Status.CLOSED)
    later = driver.register()
    with pytest.raises(TransitionError, match="晚于"):
        link_repeat(closed.pk, world.alice, later)
    linked = link_repeat(later.pk, world.alice, closed)
    assert linked.repeat_of == closed and linked.finality_flag
    event = linked.events.get(action="link_repeat")
    assert not event.public and "第三十六条" in event.note
    with pytest.raises(TransitionError, match="已标记"):
        link_repeat(later.pk, world.alice, closed)


MERGE_REASON = "信访人就同一问题重复提出信访"


def test_merge_closes_the_duplicate_through_not_accept(client, world, driver):
    original = driver.register()
    duplicate = driver.register()
    sign_in(client, "bob")
    url = reverse("assist:link_repeat", kwargs={"pk": duplicate.pk, "other": original.pk})
    assert client.post(url, {"merge": "1", "confirm": "1", "reason": MERGE_REASON}).status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.repeat_of == original and duplicate.status == Status.NOT_ACCEPTED
    note = duplicate.events.get(action="not_accept").note
    assert "并入" in note and MERGE_REASON in note
    # The refusal is read by this matter's petitioner: the other matter's 查询码 is nowhere in it.
    assert original.code not in note.replace("-", "") and original.display_code not in note
    refusal = Notification.objects.filter(matter=duplicate).order_by("-pk").first()
    assert refusal is not None and original.code not in refusal.body.replace("-", "")


@pytest.mark.parametrize(
    "post, message",
    [
        ({"merge": "1", "reason": MERGE_REASON}, "请勾选确认"),
        ({"merge": "1", "confirm": "1", "reason": " "}, "请填写合并的理由"),
        ({"merge": "1", "confirm": "1", "reason": "与ORIGINAL重复"}, "不能写其他事项的查询码"),
    ],
)
def test_merge_needs_confirmation_and_a_reason_without_another_code(client, world, driver, post, message):
    original = driver.register()
    duplicate = driver.register()
    if "reason" in post:
        post["reason"] = post["reason"].replace("ORIGINAL", original.display_code.lower())
    sign_in(client, "bob")
    url = reverse("assist:link_repeat", kwargs={"pk": duplicate.pk, "other": original.pk})
    page = client.post(url, post, follow=True)
    assert message in page.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.status == Status.REGISTERED and duplicate.repeat_of is None


def test_merge_is_offered_and_accepted_only_above_the_similarity_threshold(client, world, driver):
    original = driver.register()
    alike = driver.register()
    unlike = driver.register(
        title="物业", content="小区停车费太贵，每天早上学校门口车辆乱停，孩子过马路很危险，路灯也坏了。"
    )
    sim_alike = similar_matters.text_similarity(alike, original)
    sim_unlike = similar_matters.text_similarity(unlike, original)
    assert sim_alike >= similar_matters.MERGE_MIN_SIMILARITY > sim_unlike > 0
    sign_in(client, "bob")
    panel = client.get(reverse("assist:similar", kwargs={"pk": alike.pk})).content.decode()
    assert "确认合并" in panel and "内容相似度" in panel
    row = next(s for s in similar_matters.for_matter(unlike, world.bob) if s.matter == original)
    assert not row.mergeable
    panel = client.get(reverse("assist:similar", kwargs={"pk": unlike.pk})).content.decode()
    assert "确认合并" not in panel and "标记为其重复信访" in panel
    url = reverse("assist:link_repeat", kwargs={"pk": unlike.pk, "other": original.pk})
    page = client.post(url, {"merge": "1", "confirm": "1", "reason": MERGE_REASON}, follow=True)
    assert "低于合并所需" in page.content.decode()
    unlike.refresh_from_db()
    assert unlike.status == Status.REGISTERED


def test_index_catches_up_and_rebuilds(world, driver, capsys):
    a = driver.register()
    similar_matters.save_snapshot()
    b = driver.register(title="同一小区物业乱收费", content=matter_fields(world)["content"])
    similar_matters.INDEX.reset()  # a new process: loads the snapshot, then catches up from the database
    index = similar_matters.INDEX.catch_up()
    hits = dict(index.search(index.embedder.embed(b.title, b.content), 5))
    assert {a.pk, b.pk} <= set(hits)
    call_command("model", "index")
    assert f"收录至事项 {b.pk}" in capsys.readouterr().out


# ---------------------------------------------------------------- 急事急报 and collective petitions


def register_now(world, **overrides):
    now = clock.now()
    return register_matter(
        world.alice,
        fields=matter_fields(world, received_at=now, **overrides),
        petitioners=[dict(PETITIONER)],
        now=now,
    )


def test_urgent_matter_goes_to_the_leaders_at_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        urgent = register_now(
            world, title="再不给钱就跳楼", content="工地老板拖欠工资一年，工人说再不给钱就跳楼。"
        )
        calm = register_now(world)
    sent = Notification.objects.filter(kind="urgent")
    assert {n.recipient_user.username for n in sent} == {"leo", "carol"}
    assert all(n.matter == urgent for n in sent)
    assert "跳" in sent[0].body
    assert sent[0].body.count("可能危及生命安全") == 1  # a phrase in title and text is one reason
    assert escalate(urgent.pk) == []  # once only
    assert escalate(calm.pk) == []


def test_no_urgent_notices_while_a_history_is_loaded(world, django_capture_on_commit_callbacks):
    from xinfang.assist.escalation import paused

    with paused(), django_capture_on_commit_callbacks(execute=True):
        register_now(world, content="工人说再不给钱就跳楼。")
    assert not Notification.objects.filter(kind="urgent").exists()


def test_urgent_accusation_does_not_reach_the_accused(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register_now(
            world,
            nature=Nature.ACCUSATION,
            complained_person=world.leo.full_name,
            content="市政府有关领导收受贿赂，知情人扬言要去市政府门口自焚。",
        )
    sent = Notification.objects.filter(kind="urgent")
    # Before screening nobody knows for sure whom it names: only 市纪委监委, which screens it, is told.
    assert {n.recipient_user.username for n in sent} == {"dora"}


def test_collective_petitions_are_grouped(client, world, driver):
    now = clock.now()
    for i in range(5):
        register_matter(
            world.alice,
            fields=matter_fields(
                world, received_at=now, content=matter_fields(world)["content"] + f"（{i}号楼）"
            ),
            petitioners=[{"name": f"业主{i}", "phone": f"1380013800{i}"}],
            now=now,
        )
    sign_in(client, "alice")
    page = client.get(reverse("assist:collective"))
    groups = page.context["groups"]
    assert len(groups) == 1 and len(groups[0][1]) == 5
    assert Matter.objects.count() == 5


# ---------------------------------------------------------------- the models page


def test_models_page_trains_and_switches_versions(client, world, driver):
    sign_in(client, "root")
    assert client.post(reverse("assist:model_train"), {"kind": "category"}).status_code == 302
    v1 = ModelVersion.objects.get()
    assert v1.active and v1.trained_by.startswith("root")
    client.post(reverse("assist:model_train"), {"kind": "category"})
    for accepted in (True, True, False):
        Feedback.objects.create(
            kind="category",
            matter=driver.register(),
            suggested="1",
            chosen="1",
            accepted=accepted,
            user=world.alice,
        )
    page = client.get(reverse("assist:models")).content.decode()
    assert "v2" in page and "启用此版本" in page
    assert "建议采纳率（内容分类）：67%（2/3次）" in page
    client.post(reverse("assist:model_activate", kwargs={"pk": v1.pk}))
    v1.refresh_from_db()
    assert v1.active
    sign_in(client, "alice")
    assert client.get(reverse("assist:models")).status_code == 403


def test_the_administrator_sees_feedback_figures_but_no_matter(client, world, driver):
    """系统管理 → 建议反馈: administrators configure the system and read no matters."""
    matter = driver.register(title="湖滨社区路灯长期不亮")
    for kind, accepted in [("category", True), ("category", True), ("category", False), ("unit", False)]:
        Feedback.objects.create(
            kind=kind, matter=matter, suggested="1", chosen="1" if accepted else "2", accepted=accepted,
            user=world.alice,
        )  # fmt: skip
    sign_in(client, "root")
    page = client.get(reverse("admin:assist_feedback_changelist"))
    assert page.status_code == 200
    body = re.sub(r"\s+", "", page.content.decode())
    for leak in (matter.code, matter.display_code, matter.title, "停车费"):
        assert leak not in body, leak
    assert "<td>内容分类</td><td>3</td><td>2</td><td>1</td><td>67%</td><td>33%</td>" in body
    assert "<td>承办单位</td><td>1</td><td>0</td><td>1</td><td>0%</td><td>100%</td>" in body
    one = Feedback.objects.first()
    for name in ("change", "history", "delete"):
        assert client.get(reverse(f"admin:assist_feedback_{name}", args=[one.pk])).status_code == 403, name
    assert "建议反馈" in client.get(reverse("admin:index")).content.decode()


def test_pages_wait_for_the_worker_to_index_a_large_database(client, world, driver, settings):
    from xinfang.assist import tasks

    settings.XINFANG_SIMILAR_INLINE_BUILD = 1  # "large": more matters than a page may index itself
    first = driver.register()
    again = driver.register()
    sign_in(client, "alice")
    url = reverse("assist:similar", kwargs={"pk": again.pk})
    assert "正在由后台任务建立" in client.get(url).content.decode()
    assert similar_matters.snapshot_missing()
    tasks.build_missing_index()  # what the worker does when it starts
    assert not similar_matters.snapshot_missing()
    similar_matters.INDEX.reset()  # a web process after the snapshot exists
    assert client.get(url).context["similar"][0].matter == first
