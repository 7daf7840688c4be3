"""The staff pages, through the test client: registration, queue, detail, action forms."""

from conftest import PETITIONER, Driver, sign_in

from xinfang.petitions.choices import Status
from xinfang.petitions.models import Matter


def _registration_post(world, **overrides):
    data = {
        "channel": "visit",
        "received_at": "2025-03-03T09:30",
        "title": "拖欠农民工工资",
        "content": "某建筑公司拖欠我们12名工人2024年下半年工资共计36万元。",
        "request": "请求督促支付工资。",
        "nature": "appeal",
        "request_type": "help",
        "division": world.divisions.village.pk,
        "category": world.category.pk,
        "headcount": "1",
        "p-TOTAL_FORMS": "6",
        "p-INITIAL_FORMS": "0",
        "p-MIN_NUM_FORMS": "0",
        "p-MAX_NUM_FORMS": "6",
        "p-0-name": PETITIONER["name"],
        "p-0-id_number": PETITIONER["id_number"],
        "p-0-phone": PETITIONER["phone"],
        "p-0-address": PETITIONER["address"],
    }
    data.update(overrides)
    return data


def test_login_page_is_chinese(client):
    body = client.get("/login/").content.decode()
    assert "工作人员登录" in body and 'lang="zh-Hans"' in body


def test_register_then_detail_shows_code_and_timeline(client, world):
    sign_in(client, "alice")
    response = client.post("/matters/register/", _registration_post(world, channel="letter"))
    assert response.status_code == 302, response.content.decode()[:2000]
    matter = Matter.objects.get()
    assert matter.status == Status.REGISTERED and matter.registered_by == world.alice
    detail = client.get(response["Location"]).content.decode()
    assert matter.display_code in detail and "登记" in detail and "李明" in detail
    assert "登记后转送、交办：2025年3月18日" in detail  # the deadline and its step


def test_a_walk_in_gets_a_printable_receipt_with_code_qr_and_dated_next_steps(client, world):
    sign_in(client, "alice")
    response = client.post("/matters/register/", _registration_post(world))
    matter = Matter.objects.get()
    assert response["Location"] == f"/matters/{matter.pk}/receipt/"
    receipt = client.get(response["Location"]).content.decode()
    assert "信访事项登记回执" in receipt and matter.display_code in receipt
    assert 'src="data:image/svg+xml;base64,' in receipt and "http://testserver/portal/track/" in receipt
    # The next steps with the deadline engine's dates: dispatch 15 days after 3 March, acceptance
    # 15 days after that, handling 60 days after that (1 June 2025 is in the 端午 holiday).
    assert "2025年3月18日前，信访部门将您的信访事项转送、交办" in receipt
    assert "最迟于2025年4月2日前" in receipt and "最迟于2025年6月3日前" in receipt
    assert PETITIONER["name"] not in receipt and PETITIONER["phone"] not in receipt
    detail = client.get(f"/matters/{matter.pk}/").content.decode()
    assert f"/matters/{matter.pk}/receipt/" in detail


def test_the_receipts_qr_code_points_at_the_public_address_when_staff_work_on_an_intranet(
    client, world, settings
):
    settings.PUBLIC_URL = "https://xf.example.gov.cn"
    sign_in(client, "alice")
    receipt = client.get(client.post("/matters/register/", _registration_post(world))["Location"])
    assert receipt.context["track_url"] == "https://xf.example.gov.cn/portal/track/"
    assert "testserver" not in receipt.content.decode()


def test_the_receipt_of_an_accusation_only_for_whoever_registered_it(client, world):
    sign_in(client, "alice")
    post = _registration_post(world, nature="accusation", complained_unit=world.units.d1_dept.pk)
    response = client.post("/matters/register/", post)
    matter = Matter.objects.get()
    receipt = client.get(response["Location"]).content.decode()
    assert matter.display_code in receipt and matter.content not in receipt and matter.title not in receipt
    assert client.get(f"/matters/{matter.pk}/").status_code == 404  # with the screening unit first
    sign_in(client, "dan")
    assert client.get(f"/matters/{matter.pk}/receipt/").status_code == 404


def test_registration_shows_one_petitioner_row_and_adds_more_on_demand(client, world):
    sign_in(client, "alice")
    page = client.get("/matters/register/").content.decode()
    assert page.count('<div class="petitioner-row">') == 1
    assert page.count('<div class="petitioner-row" hidden>') == 5
    assert 'id="add-petitioner"' in page and "petitions/register.js" in page
    # Rows typed in stay open when the form comes back with an error.
    post = _registration_post(world, title="", **{"p-1-name": "王芳"})
    page = client.post("/matters/register/", post).content.decode()
    assert page.count('<div class="petitioner-row">') == 2 and "王芳" in page


def test_register_refuses_six_representatives_and_keeps_the_input(client, world):
    sign_in(client, "alice")
    extra = {}
    for i in range(6):
        extra.update({f"p-{i}-name": f"代表{i}", f"p-{i}-id_number": "", f"p-{i}-phone": f"1390000000{i}"})
    response = client.post(
        "/matters/register/", _registration_post(world, is_collective="on", headcount="30", **extra)
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "不得超过5人" in body and "代表5" in body  # the error, and what was typed is still there
    assert not Matter.objects.exists()


def test_register_rejects_bad_id_number(client, world):
    sign_in(client, "alice")
    response = client.post(
        "/matters/register/", _registration_post(world, **{"p-0-id_number": "110101199003077770"})
    )
    assert "校验位不正确" in response.content.decode()
    assert not Matter.objects.exists()


def test_handler_cannot_open_registration(client, world):
    sign_in(client, "hank")
    assert client.get("/matters/register/").status_code == 403


def test_earlier_matters_of_the_same_petitioner(client, world):
    Driver(world).register()
    sign_in(client, "alice")
    body = client.post("/matters/earlier/", {"p-0-id_number": PETITIONER["id_number"]}).content.decode()
    assert "以前反映过 1 件事项" in body


def test_earlier_matters_lookup_keeps_the_id_number_and_phone_out_of_the_url(world):
    """The lookup is a POST with the CSRF token: a GET (the values in the query string, hence in
    access logs and browser history) is refused, and so is a POST without the token."""
    from django.test import Client

    Driver(world).register()
    client = Client(enforce_csrf_checks=True)
    sign_in(client, "alice")
    page = client.get("/matters/register/").content.decode()
    assert 'hx-post="/matters/earlier/"' in page and 'hx-get="/matters/earlier/"' not in page
    assert client.get("/matters/earlier/", {"phone": PETITIONER["phone"]}).status_code == 405
    assert client.post("/matters/earlier/", {"p-0-phone": PETITIONER["phone"]}).status_code == 403
    token = client.cookies["csrftoken"].value
    answer = client.post(
        "/matters/earlier/", {"p-0-phone": PETITIONER["phone"]}, headers={"X-CSRFToken": token}
    )
    assert answer.status_code == 200 and "以前反映过 1 件事项" in answer.content.decode()


def test_queue_shows_todo_with_deadline_light(client, world):
    d = Driver(world)
    matter = d.do(d.register(), "assign")
    sign_in(client, "hank")
    body = client.get("/matters/").content.decode()
    assert matter.title in body
    assert "超期" in body  # assigned on 2025-03-04: the 15-day acceptance period ran out long ago
    sign_in(client, "alice")
    assert matter.title not in client.get("/matters/").content.decode()  # not on the registrar's to-do


def test_queue_filters(client, world):
    d = Driver(world)
    d.register(title="噪声扰民问题")
    d.register(title="物业收费问题")
    sign_in(client, "bob")
    body = client.get("/matters/", {"tab": "all", "q": "噪声"}).content.decode()
    assert "<mark>噪声</mark>扰民问题" in body and "物业收费问题" not in body  # the words marked


def test_action_form_performs_and_detects_concurrent_edit(client, world):
    d = Driver(world)
    matter = d.do(d.register(), "assign")
    sign_in(client, "hank")
    stale = matter.version
    response = client.post(f"/matters/{matter.pk}/act/accept/", {"version": stale, "note": "受理"})
    assert response.status_code == 302
    matter.refresh_from_db()
    assert matter.status == Status.HANDLING
    sign_in(client, "hope")
    response = client.post(
        f"/matters/{matter.pk}/act/extend/", {"version": stale, "days": 10, "note": "复杂"}
    )
    assert "已被他人更新" in response.content.decode()
    matter.refresh_from_db()
    assert matter.extension_days == 0


def test_action_form_shows_rule_violation(client, world):
    d = Driver(world)
    matter = d.to(Status.HANDLING)
    sign_in(client, "hope")
    response = client.post(
        f"/matters/{matter.pk}/act/extend/", {"version": matter.version, "days": 31, "note": "复杂"}
    )
    assert "最多30日" in response.content.decode()


def test_home_sends_each_role_to_its_page(client, world):
    for username, target in [("alice", "/matters/"), ("ann", "/analytics/"), ("root", "/manage/")]:
        sign_in(client, username)
        assert client.get("/")["Location"] == target, username


def test_detail_page_query_count_does_not_grow_with_the_transition_table(
    client, world, django_assert_max_num_queries
):
    d = Driver(world)
    matter = d.to(Status.HANDLING)
    sign_in(client, "hope")
    # 20 for the page, 1 for the second-factor gate asking whether this user has a device
    with django_assert_max_num_queries(21):
        assert client.get(f"/matters/{matter.pk}/").status_code == 200


def test_auditor_home_is_the_audit_log(client, world):
    sign_in(client, "audrey")
    assert client.get("/")["Location"] == "/audit/"


def test_intake_channels_record_their_own_details(client, world):
    """领导接访 names the leader; 上级转送/交办 carries the upper level's number and deadline."""
    sign_in(client, "alice")
    response = client.post("/matters/register/", _registration_post(world, channel="leader"))
    assert "领导接访请填写接访领导" in response.content.decode()
    response = client.post(
        "/matters/register/", _registration_post(world, channel="leader", leader_name="王副市长")
    )
    assert response.status_code == 302
    assert response["Location"].endswith("/receipt/")  # received in person: the receipt first
    detail = client.get(response["Location"].removesuffix("receipt/")).content.decode()
    assert "接访领导" in detail and "王副市长（2025年3月3日）" in detail

    response = client.post("/matters/register/", _registration_post(world, channel="upper_assigned"))
    assert "上级转送、交办的事项请填写上级编号" in response.content.decode()
    response = client.post(
        "/matters/register/",
        _registration_post(
            world, channel="upper_assigned", upper_reference="浙信交〔2025〕17号", upper_due_date="2025-04-15"
        ),
    )
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert "浙信交〔2025〕17号，上级要求 2025年4月15日 前办结" in detail

    # Details of another channel are not kept on a plain visit.
    client.post(
        "/matters/register/", _registration_post(world, leader_name="不应保存", upper_reference="不应保存")
    )
    visit = Matter.objects.get(channel="visit")
    assert (visit.leader_name, visit.upper_reference, visit.upper_due_date) == ("", "", None)
