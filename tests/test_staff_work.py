"""The staff's daily work: the unit head's 审签 page and list, finding a matter by part of its
查询码, what units see of 督办, 交办 with 协办单位 and the units a dispatcher is offered first."""

from conftest import Driver, sign_in
from django.urls import reverse

from xinfang.petitions.choices import Status


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
