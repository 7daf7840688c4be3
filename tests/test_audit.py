"""The audit log: SM3 chain, tamper detection, append-only guards, hooks, the auditors' page, the
command, and concurrent writers."""

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from urllib.parse import quote

import pytest
from conftest import PASSWORD, Driver
from cryptography.hazmat.primitives import hashes
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.db import connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from xinfang.audit import api
from xinfang.audit.models import GENESIS_HASH, AppendOnlyError, AuditChainHead, AuditEntry
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Category, Matter
from xinfang.petitions.services import TransitionError

A = AuditEntry.Action
TABLE = AuditEntry._meta.db_table


def raw(sql, params=()):
    with connection.cursor() as cur:
        cur.execute(sql.replace("{t}", connection.ops.quote_name(TABLE)), params)


def fill(n, user=None):
    return [
        api.record(A.EXPORT, user=user, target=f"matter:{i}", detail={"rows": i, "文件": f"导出{i}.xlsx"})
        for i in range(1, n + 1)
    ]


def sm3_hex(data: bytes) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


# ---------------------------------------------------------------- the chain


def test_sm3_is_the_standard_algorithm():
    # GB/T 32905-2016, example 1.
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_chain_appends_and_verifies(world):
    first = api.record(
        A.CHANGE,
        user=world.alice,
        target="matter:1",
        detail={"备注": "中文内容", "nested": {"b": [1, 2], "a": None}, "when": date(2025, 3, 3)},
    )
    second = api.record(A.EXPORT, user=world.bob, detail={"amount": Decimal("1.50"), "ratio": 0.1})
    third = api.record(A.LOGIN_FAILED, detail={"username": "nobody"})

    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.row_hash and third.prev_hash == second.row_hash
    assert (first.username, first.unit_name) == ("alice", "青溪市信访局")
    assert third.user is None and third.username == ""
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (3, third.row_hash)

    result = api.verify()
    assert result.ok and result.checked == 3 and result.first_broken_seq is None
    assert result.last_hash == third.row_hash


def test_hash_follows_the_documented_serialisation(world):
    """Recompute one stored row's hash by hand, from the database's values, as the docstring says."""
    api.record(A.LOGIN, user=world.alice)
    entry = api.record(
        A.CHANGE, user=world.bob, target="matter:7", detail={"z": "末", "a": {"y": 1, "x": [True, None]}}
    )
    stored = AuditEntry.objects.get(seq=entry.seq)
    content = {
        "seq": 2,
        "at": stored.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "user_id": world.bob.pk,
        "username": "bob",
        "unit_name": "青溪市信访局",
        "ip": "",
        "action": "change",
        "target": "matter:7",
        "detail": {"z": "末", "a": {"y": 1, "x": [True, None]}},
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert (
        text.startswith('{"action":"change","at":"')
        and '"detail":{"a":{"x":[true,null],"y":1},"z":"末"}' in text
    )
    assert stored.row_hash == sm3_hex(stored.prev_hash.encode("ascii") + text.encode("utf-8"))
    assert stored.row_hash == entry.row_hash


def test_values_are_stored_as_hashed(world):
    """Dates, decimals, floats and IPv6 addresses come back from the database exactly as hashed."""
    request = RequestFactory().get("/", REMOTE_ADDR="2001:DB8:0:0::1")
    request.user = world.carol
    entry = api.record(
        A.EXPORT,
        request=request,
        detail={"day": date(2025, 1, 2), "money": Decimal("3.10"), "f": 2.5, 7: "int key", "nul": "a\x00b"},
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.user == world.carol and stored.ip == "2001:db8::1"
    assert stored.detail == {
        "day": "2025-01-02",
        "money": "3.10",
        "f": "2.5",
        "7": "int key",
        "nul": "a\ufffdb",
    }
    assert stored.compute_hash() == stored.row_hash
    assert api.verify().ok


def test_unknown_action_is_refused(db):
    with pytest.raises(ValueError, match="未知的审计操作类型"):
        api.record("hack")
    assert not AuditEntry.objects.exists()


def test_empty_log_verifies(db):
    result = api.verify()
    assert result.ok and result.checked == 0 and result.last_hash == GENESIS_HASH


# ---------------------------------------------------------------- tampering


def test_raw_update_is_detected_at_that_row(world):
    fill(5)
    raw("UPDATE {t} SET target = %s WHERE seq = %s", ["matter:999", 3])
    result = api.verify()
    assert not result.ok
    assert result.first_broken_seq == 3 and result.checked == 2
    assert "内容与其哈希不一致" in result.reason


def test_rewritten_row_with_recomputed_hash_breaks_the_next_link(world):
    fill(5)
    forged = AuditEntry.objects.get(seq=2)
    forged.target = "matter:999"
    raw("UPDATE {t} SET target = %s, row_hash = %s WHERE seq = 2", [forged.target, forged.compute_hash()])
    result = api.verify()
    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert "第2条的哈希不一致" in result.reason


def test_deleted_row_is_a_gap(world):
    fill(5)
    raw("DELETE FROM {t} WHERE seq = %s", [4])
    result = api.verify()
    assert (result.ok, result.first_broken_seq, result.checked) == (False, 4, 3)
    assert "第4条记录缺失" in result.reason


def test_deleted_newest_rows_are_found_by_the_head(world):
    fill(5)
    raw("DELETE FROM {t} WHERE seq >= %s", [4])
    result = api.verify()
    assert (result.ok, result.first_broken_seq) == (False, 4)
    assert "末尾的第4至5条记录缺失" in result.reason


def _insert_forged(seq, prev_hash, row_hash=None, target="matter:1"):
    forged = AuditEntry(
        seq=seq,
        at=timezone.now(),
        username="mallory",
        action=A.CHANGE,
        target=target,
        detail={},
        prev_hash=prev_hash,
    )
    forged.row_hash = row_hash or forged.compute_hash()
    raw(
        "INSERT INTO {t} (seq, at, user_id, username, unit_name, ip, action, target, detail, prev_hash,"
        " row_hash) VALUES (%s, %s, NULL, %s, '', '', %s, %s, %s, %s, %s)",
        [
            seq,
            connection.ops.adapt_datetimefield_value(forged.at),
            forged.username,
            forged.action,
            forged.target,
            "{}",
            forged.prev_hash,
            forged.row_hash,
        ],
    )


def test_forged_row_with_a_wrong_hash_is_detected(world):
    entries = fill(3)
    _insert_forged(4, entries[-1].row_hash, row_hash="ab" * 32)
    result = api.verify()
    assert (result.ok, result.first_broken_seq) == (False, 4)


def test_forged_row_with_a_correct_hash_is_found_by_the_head(world):
    """Even a forger who knows the algorithm is caught when the row skipped the write path."""
    entries = fill(3)
    _insert_forged(4, entries[-1].row_hash)
    result = api.verify()
    assert (result.ok, result.first_broken_seq, result.checked) == (False, 4, 3)
    assert "不是经审计接口写入的" in result.reason


def test_forged_row_before_the_first_is_detected(world):
    fill(2)
    _insert_forged(0, GENESIS_HASH)
    result = api.verify()
    assert (result.ok, result.first_broken_seq) == (False, 0)


# ---------------------------------------------------------------- append-only


def test_model_refuses_update_and_delete(world):
    entry = api.record(A.LOGIN, user=world.alice)
    stored = AuditEntry.objects.get(pk=entry.pk)
    stored.username = "bob"
    with pytest.raises(AppendOnlyError):
        stored.save()
    with pytest.raises(AppendOnlyError):
        stored.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(username="bob")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_create([AuditEntry(seq=9, at=timezone.now(), action=A.LOGIN)])
    with pytest.raises(AppendOnlyError, match="审计接口"):
        AuditEntry(seq=2, at=timezone.now(), action=A.LOGIN, prev_hash=entry.row_hash).save()
    assert AuditEntry.objects.get(pk=entry.pk).username == "alice"
    assert api.verify().ok


def test_audit_log_is_not_in_the_admin(client, world):
    from django.contrib import admin

    assert not admin.site.is_registered(AuditEntry)
    assert not admin.site.is_registered(AuditChainHead)
    client.force_login(world.root)
    assert client.get("/admin/audit/auditentry/").status_code == 404


# ---------------------------------------------------------------- the write path


def test_register_and_transition_add_change_entries(world):
    d = Driver(world)
    matter = d.register()
    d.do(matter, "assign", unit=world.units.d1_dept)
    changes = list(AuditEntry.objects.filter(action=A.CHANGE, target=f"matter:{matter.pk}").order_by("seq"))
    assert [(e.username, e.detail) for e in changes] == [
        ("alice", {"action": "register", "from": "", "to": Status.REGISTERED}),
        ("bob", {"action": "assign", "from": Status.REGISTERED, "to": Status.DISPATCHED}),
    ]
    assert changes[1].user == world.bob and changes[1].unit_name == "青溪市信访局"
    assert api.verify().ok


def test_refused_or_rolled_back_change_leaves_no_entry(world):
    d = Driver(world)
    matter = d.register()
    before = AuditEntry.objects.count()
    with pytest.raises(TransitionError):
        d.do(matter, "accept", actor=world.hank)  # not dispatched yet
    with pytest.raises(RuntimeError), transaction.atomic():
        d.do(matter, "assign", unit=world.units.d1_dept)
        raise RuntimeError("调用方随后失败")
    assert AuditEntry.objects.count() == before
    assert Matter.objects.get(pk=matter.pk).status == Status.REGISTERED
    assert AuditChainHead.objects.get().last_seq == before
    assert api.verify().ok


def test_failed_audit_write_rolls_back_the_change(world, monkeypatch):
    d = Driver(world)
    matter = d.register()

    def broken(self):
        raise OSError("磁盘已满")

    monkeypatch.setattr(AuditEntry, "compute_hash", broken)
    with pytest.raises(OSError):
        d.do(matter, "assign", unit=world.units.d1_dept)
    monkeypatch.undo()
    matter.refresh_from_db()
    assert matter.status == Status.REGISTERED and matter.events.count() == 1
    assert api.verify().ok


def test_system_transition_is_recorded_without_a_user(world):
    d = Driver(world)
    matter = d.to(Status.REPLIED)
    from xinfang.petitions.services import perform

    perform(matter.pk, None, "close", system=True, note="申请期限届满。")
    entry = AuditEntry.objects.filter(action=A.CHANGE).order_by("-seq").first()
    assert entry.user is None and entry.detail["action"] == "close"


# ---------------------------------------------------------------- logins and admin


def test_login_logout_and_failed_login_are_recorded(client, world):
    wrong = "not-the-password-42"
    assert client.post("/login/", {"username": "alice", "password": wrong}).status_code == 200
    failed = AuditEntry.objects.get(action=A.LOGIN_FAILED)
    assert failed.user is None and failed.detail == {"username": "alice"} and failed.ip == "127.0.0.1"

    assert client.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    login = AuditEntry.objects.get(action=A.LOGIN)
    assert (login.user, login.username, login.unit_name, login.ip) == (
        world.alice,
        "alice",
        "青溪市信访局",
        "127.0.0.1",
    )
    client.post("/logout/")
    logout = AuditEntry.objects.get(action=A.LOGOUT)
    assert logout.user == world.alice and logout.seq > login.seq > failed.seq

    everything = json.dumps([e.content() for e in AuditEntry.objects.all()], ensure_ascii=False)
    assert wrong not in everything and PASSWORD not in everything
    assert api.verify().ok


def test_admin_changes_are_recorded(client, world):
    client.force_login(world.root)
    management = {
        "children-TOTAL_FORMS": "0",
        "children-INITIAL_FORMS": "0",
        "children-MIN_NUM_FORMS": "0",
        "children-MAX_NUM_FORMS": "1000",
    }
    response = client.post(
        "/admin/petitions/category/add/", {"name": "测试分类", "order": "5", "active": "on", **management}
    )
    assert response.status_code == 302
    category = Category.objects.get(name="测试分类", parent=None)
    added = AuditEntry.objects.get(action=A.ADMIN_CHANGE)
    assert added.user == world.root and added.target == f"petitions.category:{category.pk}"
    assert added.detail["operation"] == "新增" and added.detail["object"] == "测试分类"
    assert added.detail["message"]  # Django's change message, e.g. 已添加。

    response = client.post(f"/admin/petitions/category/{category.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Category.objects.filter(pk=category.pk).exists()
    deleted = AuditEntry.objects.filter(action=A.ADMIN_CHANGE).order_by("-seq").first()
    assert deleted.detail["operation"] == "删除" and deleted.target == f"petitions.category:{category.pk}"
    assert LogEntry.objects.count() == 2


def test_admin_bulk_delete_is_recorded(client, world):
    """Several objects at once: Django bulk-creates its log rows (no signal), the action records them."""
    extra = [Category.objects.create(name=f"批量{i}") for i in range(3)]
    client.force_login(world.root)
    response = client.post(
        "/admin/petitions/category/",
        {"action": "delete_selected", "_selected_action": [c.pk for c in extra], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Category.objects.filter(pk__in=[c.pk for c in extra]).exists()
    rows = AuditEntry.objects.filter(action=A.ADMIN_CHANGE)
    assert sorted(r.target for r in rows) == sorted(f"petitions.category:{c.pk}" for c in extra)
    assert {r.detail["operation"] for r in rows} == {"删除"} and {r.username for r in rows} == {"root"}
    assert all(r.ip == "127.0.0.1" for r in rows)


def test_admin_bulk_delete_confirmation_page_records_nothing(client, world):
    extra = [Category.objects.create(name=f"待删{i}") for i in range(2)]
    client.force_login(world.root)
    response = client.post(
        "/admin/petitions/category/", {"action": "delete_selected", "_selected_action": [c.pk for c in extra]}
    )
    assert response.status_code == 200  # the "are you sure" page
    assert Category.objects.filter(pk__in=[c.pk for c in extra]).count() == 2
    assert not AuditEntry.objects.filter(action=A.ADMIN_CHANGE).exists()


# ---------------------------------------------------------------- the auditors' page


@pytest.mark.parametrize("username", ["root", "alice", "ann", "sam", "leo", "hugo"])
def test_page_is_for_auditors_only(client, world, username):
    client.force_login(world.users[username])
    assert client.get("/audit/").status_code == 403
    assert not AuditEntry.objects.filter(action=A.AUDIT_VIEW).exists()


def test_page_needs_login(client, world):
    response = client.get("/audit/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_auditor_sees_the_log_and_the_view_is_recorded(client, world):
    api.record(A.EXPORT, user=world.bob, target="matter:42", detail={"文件": "台账.xlsx"})
    client.force_login(world.audrey)
    response = client.get("/audit/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "信访事项 42" in body and "matter:42" not in body and "台账.xlsx" in body and "导出" in body
    assert '<a href="/audit/">审计日志</a>' in body  # the nav link
    view = AuditEntry.objects.get(action=A.AUDIT_VIEW)
    assert view.user == world.audrey and view.ip == "127.0.0.1"
    assert api.verify().ok


def test_nav_link_only_for_auditors(client, world):
    client.force_login(world.alice)
    assert "/audit/" not in client.get("/matters/").content.decode()


def _seqs(response):
    return [e.seq for e in response.context["page"].object_list]


def test_filters(client, world, monkeypatch):
    moments = iter(
        [
            datetime(2025, 3, 1, 9, tzinfo=timezone.get_current_timezone()),
            datetime(2025, 3, 2, 23, 30, tzinfo=timezone.get_current_timezone()),
            datetime(2025, 3, 3, 0, 30, tzinfo=timezone.get_current_timezone()),
            datetime(2025, 3, 4, 9, tzinfo=timezone.get_current_timezone()),
        ]
    )
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: next(moments))
    api.record(A.LOGIN, user=world.alice)  # 1: 3月1日
    api.record(A.CHANGE, user=world.bob, target="matter:12")  # 2: 3月2日 23:30
    api.record(A.CHANGE, user=world.alice, target="matter:123")  # 3: 3月3日 00:30
    api.record(A.LOGIN_FAILED, detail={"username": "alice"})  # 4: 3月4日
    monkeypatch.setattr(timezone, "now", real_now)
    client.force_login(world.audrey)

    def seqs(**params):
        response = client.get("/audit/", params)
        assert response.status_code == 200
        return [s for s in _seqs(response) if s <= 4]

    assert seqs() == [4, 3, 2, 1]  # newest first
    assert seqs(date_from="2025-03-02", date_to="2025-03-02") == [2]  # local days
    assert seqs(date_from="2025-03-03") == [4, 3]
    assert seqs(date_to="2025-03-02") == [2, 1]
    assert seqs(username="alice") == [4, 3, 1]  # includes the failed login under that name
    assert seqs(username="bob") == [2]
    assert seqs(action="change") == [3, 2]
    assert seqs(target="matter:12") == [2]
    assert seqs(target="matter:") == [3, 2]
    assert seqs(action="change", username="alice") == [3]
    views = AuditEntry.objects.filter(action=A.AUDIT_VIEW).order_by("seq")
    assert views.count() == 10
    assert views[1].detail["filters"] == {"date_from": "2025-03-02", "date_to": "2025-03-02"}


def test_invalid_filter_is_shown_not_applied(client, world):
    client.force_login(world.audrey)
    response = client.get("/audit/", {"date_from": "2025-03-05", "date_to": "2025-03-01"})
    assert response.status_code == 200
    assert "起始日期不能晚于结束日期" in response.content.decode()


def test_paged_by_100(client, world):
    fill(150)
    client.force_login(world.audrey)
    first = client.get("/audit/")
    assert first.context["page"].paginator.num_pages == 2
    # 151 is audrey's login, 152 this view of the page.
    assert _seqs(first) == list(range(152, 52, -1))
    second = client.get("/audit/", {"page": 2})  # recorded as 153, so the second page starts lower
    assert _seqs(second) == list(range(53, 0, -1))
    assert "下一页" in first.content.decode()


# ---------------------------------------------------------------- the command


def test_verify_command_on_a_good_chain(world):
    fill(3)
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "审计日志完整：共3条"
    assert AuditChainHead.objects.get().last_hash in lines[1]


def test_verify_command_on_a_tampered_chain(world):
    fill(3)
    raw("UPDATE {t} SET username = %s WHERE seq = %s", ["mallory", 2])
    err = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify", stderr=err)
    assert exit_info.value.code == 1
    assert err.getvalue().startswith("审计日志在第2条被篡改：该条记录的内容与其哈希不一致")


def _database_url():
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return "sqlite:///" + s["NAME"]
    auth = quote(s["USER"], safe="") + (":" + quote(s["PASSWORD"], safe="") if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{quote(s['NAME'], safe='')}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_console_script_exit_codes(world):
    """The real `xinfang audit verify` process: exit 0 on a good chain, 1 on a tampered one."""
    fill(2)
    env = {**os.environ, "XINFANG_DATABASE_URL": _database_url()}
    cmd = [sys.executable, "-m", "xinfang", "audit", "verify"]
    good = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("审计日志完整：共2条")
    raw("DELETE FROM {t} WHERE seq = %s", [1])
    bad = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "审计日志在第1条被篡改：序号不连续：第1条记录缺失（被删除）。"


def test_list_command(world):
    api.record(A.LOGIN, user=world.alice)
    api.record(A.CHANGE, user=world.bob, target="matter:5", detail={"action": "assign"})
    api.record(A.LOGIN, user=world.bob)
    out = StringIO()
    call_command("audit", "list", "--user", "bob", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["序号", "时间", "用户", "单位", "IP", "地址", "操作", "对象", "详情"]
    assert [line.split()[0] for line in lines[1:]] == ["3", "2"]
    assert "matter:5" in lines[2] and "操作：交办" in lines[2] and "数据变更" in lines[2]

    out = StringIO()
    call_command("audit", "list", "--action", "login", "--limit", "1", stdout=out)
    assert [line.split()[0] for line in out.getvalue().splitlines()[1:]] == ["3"]

    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    out = StringIO()
    call_command("audit", "list", "--since", tomorrow, stdout=out)
    assert out.getvalue().strip() == "没有符合条件的记录。"

    views = AuditEntry.objects.filter(action=A.AUDIT_VIEW)
    assert views.count() == 3 and views.first().detail["source"] == "command"
    assert api.verify().ok


def test_list_command_rejects_bad_input(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("audit", "list", "--since", "昨天")
    with pytest.raises(CommandError, match="正整数"):
        call_command("audit", "list", "--limit", "0")


# ---------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_produce_one_valid_chain(world):
    per_thread, writers = 15, 3
    start = threading.Barrier(writers)
    errors = []

    def write(n):
        try:
            start.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    api.record(A.EXPORT, user=world.alice, target=f"thread:{n}", detail={"i": i})
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = per_thread * writers
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, total + 1))
    result = api.verify()
    assert result.ok and result.checked == total
    assert {t: AuditEntry.objects.filter(target=t).count() for t in ["thread:0", "thread:1", "thread:2"]} == {
        "thread:0": per_thread,
        "thread:1": per_thread,
        "thread:2": per_thread,
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_verify_reads_one_snapshot_while_requests_append(world):
    """Requests keep appending while `audit verify` runs: after each statement of the check, a writer
    thread appends rows and commits. The check judges the chain as it stood at one moment and raises
    no false alarm (it used to report the newest rows as deleted)."""
    fill(5)
    errors = []

    def append_rows():
        try:
            for i in range(2):
                api.record(A.EXPORT, user=world.alice, target="during-verify", detail={"i": i})
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    def writer_after_each_statement(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        writer = threading.Thread(target=append_rows)
        writer.start()
        writer.join()
        return result

    with connection.execute_wrapper(writer_after_each_statement):
        result = api.verify()

    assert errors == []
    total = AuditEntry.objects.count()
    assert total >= 5 + 2 * 2  # writers appended between at least two statements of the check
    assert result.ok, result.reason
    assert 5 <= result.checked < total
    assert result.last_hash == AuditEntry.objects.get(seq=result.checked).row_hash
    assert api.verify().checked == total


def test_the_target_filter_takes_targets_as_the_page_writes_them(client, world):
    for pk in (42, 43):
        api.record(A.EXPORT, user=world.bob, target=f"matter:{pk}", detail={})
    api.record(A.EXPORT, user=world.bob, target="user:42", detail={})
    client.force_login(world.audrey)

    def targets(text):
        entries = client.get("/audit/", {"target": text}).context["page"].object_list
        return sorted(e.target for e in entries)

    assert targets("信访事项 42") == ["matter:42"]
    assert targets("信访事项") == ["matter:42", "matter:43"]
    assert targets("用户 42") == ["user:42"]
    assert targets("matter:43") == ["matter:43"]  # the stored form still works
    assert targets("没有这种对象 1") == []
