"""The staff's daily work: the unit head's 审签 page and list, finding a matter by part of its
查询码, what units see of 督办, 交办 with 协办单位 and the units a dispatcher is offered first."""

from datetime import date

from conftest import Driver, at, sign_in
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from xinfang.analytics import snapshot
from xinfang.core.models import Notification
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Matter
from xinfang.supervision import ownership, supervisions
from xinfang.supervision.models import Supervision


def test_the_signing_page_shows_the_draft_and_a_preview_of_the_notice(client, world):
    d = Driver(world)
    matter = d.to(Status.REPLY_PENDING)
    sign_in(client, "hope")
    page = client.get(reverse("petitions:act", kwargs={"pk": matter.pk, "action": "approve_reply"}))
    body = page.content.decode()
    assert page.status_code == 200
    draft = body[body.index('id="draft-reply"') : body.index('id="notice-preview"')]
    assert (
        "经调查，物业公司调价未经业主大会表决，责令其恢复原标准。" in draft
        and "《物业管理条例》第七条" in draft
    )
    preview = body[body.index('id="notice-preview"') :]
    assert "信访事项处理意见书" in preview and matter.display_code in preview
    assert "对你（们）的诉求，本机关支持。" in preview
    assert "向东城区人民政府书面申请复查" in preview  # the review organ it will name once signed
    assert "东城区住房和城乡建设局\n2026年11月23日" in preview  # signed by the head's unit, today
    assert "李明" not in preview  # the name is masked in a preview


def test_a_unit_heads_list_puts_the_drafts_waiting_for_signature_first(client, world):
    d = Driver(world)
    handling = d.to(Status.HANDLING)
    d.tick(10)
    waiting = d.to(Status.REPLY_PENDING)
    assert handling.due_date < waiting.due_date  # by deadline alone, the other would come first
    sign_in(client, "hope")
    rows = [m for m, *_ in client.get(reverse("petitions:queue")).context["rows"]]
    assert rows.index(waiting) < rows.index(handling)


def test_part_of_a_tracking_code_finds_the_matter(client, world):
    d = Driver(world)
    matter, other = d.register(), d.register()
    sign_in(client, "alice")
    part = matter.display_code[2:9].lower()  # "-" inside, lower case, as typed from a phone call
    rows = [m for m, *_ in client.get(reverse("petitions:queue"), {"tab": "all", "q": part}).context["rows"]]
    assert matter in rows and other not in rows
    rows = [
        m for m, *_ in client.get(reverse("petitions:queue"), {"tab": "all", "q": "物业"}).context["rows"]
    ]
    assert {matter, other} <= set(rows)


def _intake(client, content, address):
    data = {"title": "道路破损", "content": content, "p-0-address": address}
    return client.post(reverse("assist:intake"), data).context


def test_the_place_is_suggested_from_where_the_problem_is_not_where_the_petitioner_lives(client, world):
    sign_in(client, "alice")
    found = _intake(client, "西岭镇的乡道坑洼很多，下雨积水，车辆无法通行。", "东城区东湖街道湖滨社区3栋")
    assert found["place_division"] == world.divisions.other_township and not found["place_from_address"]
    # A text naming no place: the address is a guess, and the panel says so.
    found = _intake(client, "门口的路坑洼很多，下雨积水。", "东城区东湖街道湖滨社区3栋")
    assert found["place_division"] == world.divisions.village and found["place_from_address"]


def test_an_assignment_names_co_handling_units_who_then_see_the_matter(client, world):
    d = Driver(world)
    matter = d.register()
    assert not Matter.objects.visible_to(world.hugo).filter(pk=matter.pk).exists()
    sign_in(client, "bob")
    url = reverse("petitions:act", kwargs={"pk": matter.pk, "action": "assign"})
    post = {"version": matter.version, "unit": world.units.d1_dept.pk, "co_units": [world.units.housing.pk]}
    post["note"] = "请会同市住建局办理。"
    assert client.post(url, post).status_code == 302
    matter.refresh_from_db()
    assert matter.handling_unit == world.units.d1_dept and matter.holder_unit == world.units.d1_dept
    assert matter.events.get(action="assign").data["co_units"] == ["青溪市住房和城乡建设局"]
    assert Matter.objects.visible_to(world.hugo).filter(pk=matter.pk).exists()  # the co-unit sees it
    assert Notification.objects.filter(matter=matter, recipient_user=world.hugo).exists()
    assert (
        "（协办：青溪市住房和城乡建设局）"
        in client.get(reverse("petitions:detail", kwargs={"pk": matter.pk})).content.decode()
    )


def test_the_same_unit_cannot_lead_and_co_handle(client, world):
    matter = Driver(world).register()
    sign_in(client, "bob")
    url = reverse("petitions:act", kwargs={"pk": matter.pk, "action": "assign"})
    unit = world.units.d1_dept.pk
    page = client.post(url, {"version": matter.version, "unit": unit, "co_units": [unit]})
    assert "承办单位不能同时作为协办单位" in page.content.decode()


def test_a_district_dispatcher_is_offered_its_own_levels_units_first(client, world):
    d = Driver(world)
    matter = d.register()
    d.do(matter, "assign", unit=world.units.d1_bureau)
    sign_in(client, "dave")
    page = client.get(reverse("petitions:act", kwargs={"pk": matter.pk, "action": "assign"}))
    groups = [
        (label, [name for _, name in items])
        for label, items in page.context["form"].fields["unit"].choices[1:]
    ]
    assert groups[0] == ("本级：东城区人民政府及其部门", ["东城区人民政府", "东城区住房和城乡建设局"])
    assert groups[1] == ("下级：东城区人民政府所辖", ["东湖街道办事处"])
    assert groups[2][0] == "其他单位" and "青溪市住房和城乡建设局" in groups[2][1]
    body = page.content.decode()
    assert body.index("东城区住房和城乡建设局") < body.index("青溪市住房和城乡建设局")
    assert 'data-search="1"' in body and "xinfang/picker.js" in body


def test_a_unit_sees_which_of_its_matters_are_under_supervision_and_at_what_level(client, world):
    d = Driver(world)
    red, plain = d.to(Status.HANDLING), d.to(Status.HANDLING)
    common = {"cases": [red], "text": "请于期限内办结。", "due_on": date(2025, 4, 10), "reasons": ["overdue"]}
    supervisions.issue(
        world.sam, kind=Supervision.Kind.SUPERVISE, level="yellow", now=at(2025, 3, 20), **common
    )
    sup = supervisions.issue(
        world.sam, kind=Supervision.Kind.SUPERVISE, level="red", now=at(2025, 3, 21), **common
    )
    sign_in(client, "hank")
    page = client.get(reverse("petitions:queue"))
    marks = {m: mark for m, _, _, mark in page.context["rows"]}
    assert marks[red]["label"] == "红牌督办" and marks[red]["number"] == sup.number  # the strongest open one
    assert marks[plain] is None
    assert '<span class="level red" title="督办编号 ' in page.content.decode()


# ---------------------------------------------------------------- leaders


def test_a_leader_lands_on_the_cockpit(client, world):
    sign_in(client, "leo")
    assert client.get("/")["Location"] == reverse("analytics:cockpit")
    sign_in(client, "sam")
    assert client.get("/")["Location"] == reverse("petitions:queue")


def test_the_instruction_form_has_no_supervision_fields_and_a_searchable_unit_picker(client, world):
    matter = Driver(world).to(Status.HANDLING)
    sign_in(client, "leo")
    url = reverse("supervision:issue") + f"?matter={matter.pk}"
    page = client.get(url)
    form = page.context["form"]
    assert form.issue_kind == "instruct" and set(form.fields) == {
        "kind",
        "text",
        "report_required",
        "due_on",
        "units",
    }
    body = page.content.decode()
    assert "督办等级" not in body and "督办事由" not in body and 'data-search="1"' in body
    assert "<h1>领导批示</h1>" in body and "改为签发督办" in body
    response = client.post(
        url,
        {
            "kind": "instruct",
            "text": "请市住建局牵头协调。",
            "due_on": "2026-12-10",
            "units": [world.units.housing.pk],
        },
    )
    sup = Supervision.objects.get()
    assert response.status_code == 302 and sup.kind == "instruct" and sup.level == "" and sup.reasons == []
    assert list(sup.tasks.values_list("unit", flat=True)) == [world.units.housing.pk]
    # The same leader may still issue a 督办, on its own form.
    page = client.get(url + "&kind=supervise")
    assert "level" in page.context["form"].fields and "units" not in page.context["form"].fields
    assert "<h1>签发督办</h1>" in page.content.decode()


def test_a_case_whose_matter_has_ended_is_no_longer_shown_as_being_resolved(client, world):
    d = Driver(world)
    matter = d.to(Status.HANDLING)
    owned = ownership.take_ownership(
        world.leo,
        matter,
        leader=world.leo,
        unit=world.units.d1_dept,
        plan="约谈物业公司。",
        target_date=date(2026, 12, 31),
        milestones=[],
        now=at(2025, 4, 1),
    )
    sign_in(client, "leo")
    page = client.get(reverse("supervision:cases")).content.decode()
    assert "化解中 1 件" in page
    matter = d.do(matter, "withdraw")
    page = client.get(reverse("supervision:cases")).content.decode()
    assert "化解中 0 件" in page and "事项已结束待认定 1 件" in page
    assert "事项已结束，待认定化解结果" in page and "事项已结束（已撤回），请认定化解结果" in page
    owned.refresh_from_db()
    assert owned.state == "active"  # the leader still records whether it was resolved


# ---------------------------------------------------------------- unit scores


def test_the_score_pages_show_no_data_rank_by_what_exists_and_show_their_dates(client, world):
    Driver(world).to(Status.HANDLING)  # 东城区住建局 accepted one matter on time, never answered it
    sign_in(client, "sam")
    page = client.get(reverse("supervision:ranking"), {"start": "2025-01-01", "end": "2025-12-31"})
    body = page.content.decode()
    assert 'name="start" value="2025年1月1日"' in body  # the date box shows its value in 年月日
    unit, s = next((u, s) for u, s in page.context["rows"] if u == world.units.d1_dept)
    # 及时受理 5 of 5, 按期答复 0 of 10 (overdue); no ratings: 满意率 and 参评率 have no data.
    assert (s.total, s.possible, s.volume, s.ranked) == (5, 15, 2, False)  # too few to rank
    name = body.index("东城区住房和城乡建设局</a>")
    row = body[body.rindex("<tr", 0, name) :].split("</tr>")[0]
    assert (
        row.count("无数据") == 3 and "不排名" in row
    )  # 满意率, 参评率 and 包案化解率 and "数据不足" in row and "33.33%" in row
    page = client.get(
        reverse("supervision:unit_score", args=[unit.pk]), {"start": "2025-01-01", "end": "2025-12-31"}
    )
    body = page.content.decode()
    assert "无数据：本期无应计事项，不计分" in body and "按满分计" not in body
    assert 'value="2025年12月31日"' in body


# ---------------------------------------------------------------- analysts


def test_the_dashboard_shows_the_three_rates_with_a_drill_down(client, world):
    d = Driver(world)
    d.to(Status.REPLIED)  # accepted and answered on time
    d.to(Status.HANDLING)  # accepted, its answer overdue by now
    snapshot.refresh()
    period = {"first": "2025-01-01", "last": "2025-12-31"}
    sign_in(client, "ann")
    page = client.get(reverse("analytics:dashboard"), period)
    found = {r["key"]: r for r in page.context["rates"]}
    assert [r["label"] for r in page.context["rates"]] == ["及时受理率", "按期办结率", "群众满意率"]
    assert found["timely"]["line"].rate == 1 and found["reply"]["line"].rate == 0.5
    assert found["satisfaction"]["line"].rate is None  # nobody has rated yet: 无数据, not 100 %
    body = page.content.decode()
    assert "50.00%" in body and "无数据" in body and "本期：收到日期为" in body
    rows = client.get(found["reply"]["link"]).context["rows"]
    assert [(u, line.numerator, line.denominator) for u, line in rows] == [(world.units.d1_dept, 1, 2)]
    assert "/reply_open/" not in client.get(found["reply"]["link"]).content.decode()  # analysts: numbers only
    sign_in(client, "sam")
    body = client.get(found["reply"]["link"]).content.decode()
    drill = reverse("supervision:drill", args=[world.units.d1_dept.pk, "reply_open"])
    assert f"{drill}?start=2025-01-01&amp;end=2025-12-31" in body


def test_the_report_period_is_picked_from_a_list(client, world):
    sign_in(client, "ann")
    page = client.get(reverse("analytics:report")).content.decode()
    assert '<select name="period"' in page and '<optgroup label="季度报告">' in page
    assert '<option value="2026-10" selected>2026年10月</option>' in page  # the last whole month
    assert '<option value="2026Q4">2026年第四季度（至今）</option>' in page


def test_a_supervision_answer_carries_attachments(client, world):
    matter = Driver(world).to(Status.HANDLING)
    sup = supervisions.issue(
        world.sam,
        kind=Supervision.Kind.SUPERVISE,
        cases=[matter],
        level="yellow",
        reasons=["overdue"],
        text="请说明超期原因。",
        due_on=date(2026, 12, 10),
    )
    task = sup.tasks.get()
    sign_in(client, "hank")
    detail = client.get(reverse("supervision:detail", args=[sup.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in detail and 'name="files"' in detail
    url = reverse("supervision:answer", args=[sup.pk, task.pk])
    refused = client.post(
        url, {"report": "已约谈。", "files": [SimpleUploadedFile("说明.txt", b"hello")]}, follow=True
    )
    assert "不是图片或PDF文件" in refused.content.decode()
    task.refresh_from_db()
    assert task.state == "pending"
    report = SimpleUploadedFile("办理情况报告.pdf", b"%PDF-1.4 report", content_type="application/pdf")
    assert (
        client.post(url, {"report": "已约谈物业公司，恢复原收费标准。", "files": [report]}).status_code == 302
    )
    sent = task.files.get()
    assert (sent.name, sent.content_type, sent.uploaded_by) == (
        "办理情况报告.pdf",
        "application/pdf",
        world.hank,
    )
    file_url = reverse("supervision:answer_file", args=[sup.pk, sent.pk])
    sign_in(client, "sam")
    assert file_url in client.get(reverse("supervision:detail", args=[sup.pk])).content.decode()
    assert b"".join(client.get(file_url).streaming_content) == b"%PDF-1.4 report"
    sign_in(client, "nick")  # another district's dispatcher does not see this 督办
    assert client.get(file_url).status_code == 404
