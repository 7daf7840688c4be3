"""`xinfang backup`: create, verify and restore, on whichever database the suite runs with.

SQLite runs take the online-backup-API path and restore by atomic file replacement; PostgreSQL runs
take pg_dump/pg_restore. Data is written through the real write path and committed (backup and
restore work on committed data, hence transaction=True; serialized_rollback keeps the categories
that migrations seed alive after each test's flush).
"""

import hashlib
import io
import json
import re
import sqlite3
import tarfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import PETITIONER, Driver, matter_fields
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from xinfang.core import backup, encrypted_files
from xinfang.core.models import Notification
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Attachment, Matter, Petitioner
from xinfang.petitions.services import register_matter

committed = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LETTER = b"%PDF-1.4 \xe6\x9d\xa5\xe4\xbf\xa1 scanned letter " * 50


def run(*args) -> str:
    out = io.StringIO()
    call_command("backup", *args, stdout=out)
    return out.getvalue()


def live_counts(tables) -> dict[str, int]:
    with backup.open_cursor() as cur:
        return backup.table_counts(cur, tables)


def register_with_letter(driver, title="来信反映小区噪声扰民", content=LETTER):
    return register_matter(
        driver.w.alice,
        fields=matter_fields(driver.w, received_at=driver.now, title=title),
        petitioners=[dict(PETITIONER)],
        files=[SimpleUploadedFile("来信.pdf", content, content_type="application/pdf")],
        now=driver.now,
    )


def populate(driver) -> dict:
    """Matters in several states, with events, pauses, notifications and one attachment."""
    return {
        "closed": driver.to(Status.CLOSED),
        "replied": driver.to(Status.REPLIED, title="学校周边道路缺少红绿灯"),
        "referred": driver.to(Status.REFERRED, title="邻里宅基地纠纷"),
        "withdrawn": driver.to(Status.WITHDRAWN, title="拖欠农民工工资"),
        "letter": register_with_letter(driver),
    }


def read_manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def rewrite(src: Path, dst: Path, *, manifest=None, members=None, drop=(), rename=None) -> Path:
    """Copy an archive, changing the manifest and/or member contents on the way."""
    members, rename = members or {}, rename or {}
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
        for member in tin.getmembers():
            if member.name in drop:
                continue
            data = tin.extractfile(member).read()
            if member.name == "manifest.json" and manifest:
                data = json.dumps(manifest(json.loads(data))).encode()
            if member.name in members:
                data = members[member.name](data)
            info = tarfile.TarInfo(rename.get(member.name, member.name))
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))
    return dst


def attachment_file(att: Attachment) -> Path:
    return Path(settings.MEDIA_ROOT) / att.file.name


@committed
def test_restore_brings_back_counts_checksum_and_attachments(world, driver, tmp_path):
    made = populate(driver)
    att = Attachment.objects.get()
    letter_path = attachment_file(att)
    assert encrypted_files.plain(letter_path.read_bytes()) == LETTER  # stored encrypted, backed up as stored
    before = backup.matters_checksum()
    assert before["rows"] == 5

    archive = tmp_path / "before.tar.gz"
    out = run("create", "--out", str(archive))
    assert f"备份完成：{archive}" in out
    assert "信访事项 5 件" in out
    assert re.search(r"大小 [\d.]+ (B|KB|MB)", out)

    manifest = read_manifest(archive)
    assert manifest["format_version"] == backup.FORMAT_VERSION
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["matters"] == before
    counts_before = live_counts(manifest["counts"])
    assert manifest["counts"] == counts_before
    assert counts_before["petitions_matter"] == 5
    assert counts_before["petitions_matterevent"] > 5
    assert counts_before["core_notification"] > 0
    applied = MigrationRecorder(connection).applied_migrations()
    for app, name in manifest["migrations"]["latest"].items():
        assert (app, name) in applied
    assert manifest["media"] == {"files": 1, "bytes": letter_path.stat().st_size}
    assert f"media/{att.file.name}" in manifest["files"]

    # After the backup: transitions, edits, deletions, a new matter with a new file, a lost file.
    closed, replied = made["closed"], made["replied"]
    driver.do(replied, "rate")
    Matter.objects.filter(pk=closed.pk).update(title="备份之后被改动的标题")
    Notification.objects.all().delete()
    Petitioner.objects.filter(matter=made["withdrawn"]).delete()
    later = register_with_letter(driver, title="备份之后登记的事项", content=b"%PDF-1.4 later file")
    later_path = attachment_file(later.attachments.get())
    letter_path.unlink()
    assert backup.matters_checksum() != before
    assert live_counts(manifest["counts"]) != counts_before

    out = run("restore", str(archive), "--yes")
    assert "恢复完成" in out
    assert "删除了备份中没有的附件 1 个" in out

    assert backup.matters_checksum() == before
    assert live_counts(manifest["counts"]) == counts_before
    assert Matter.objects.get(pk=closed.pk).title == closed.title
    assert Matter.objects.get(pk=replied.pk).rating == ""
    assert not Matter.objects.filter(title="备份之后登记的事项").exists()
    assert Petitioner.objects.filter(matter=made["withdrawn"]).count() == 1
    assert encrypted_files.plain(letter_path.read_bytes()) == LETTER
    assert not later_path.exists()
    # The restored database is the live one: the write path keeps working on it.
    assert driver.do(Matter.objects.get(pk=replied.pk), "rate").rating == "basically"


@committed
def test_checksum_is_the_same_through_any_cursor_and_sees_every_field(world, driver):
    matter = driver.to(Status.HANDLING)
    plain = backup.matters_checksum()
    with connection.cursor() as cur:  # Django's cursor: typed values (bool, date, datetime)
        assert backup.matters_checksum(cur) == plain
    assert "due_date" in plain["columns"] and "clock_paused" in plain["columns"]
    Matter.objects.filter(pk=matter.pk).update(clock_paused=True)
    assert backup.matters_checksum() != plain
    Matter.objects.filter(pk=matter.pk).update(clock_paused=False)
    assert backup.matters_checksum() == plain
    Matter.objects.filter(pk=matter.pk).update(received_at=matter.received_at.replace(microsecond=1))
    assert backup.matters_checksum() != plain


@committed
def test_backup_is_consistent_while_the_application_writes(world, driver, tmp_path):
    driver.to(Status.HANDLING)
    started, stop = threading.Event(), threading.Event()

    def writer():
        try:
            d = Driver(world)
            n = 0
            while n < 5 or not stop.is_set():
                d.register(title=f"并发登记的事项{n}")
                n += 1
                if n == 3:
                    started.set()
            return n
        finally:
            started.set()
            connection.close()  # this thread's own connection

    archive = tmp_path / "online.tar.gz"
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(writer)
        assert started.wait(60)
        run("create", "--out", str(archive))
        stop.set()
        written = future.result(timeout=120)
    manifest = read_manifest(archive)
    # The snapshot holds some of the concurrent matters, and its counts and checksum describe
    # exactly the copy in the archive (verify recounts the copy itself).
    assert 1 + 3 <= manifest["matters"]["rows"] <= 1 + written
    assert manifest["counts"]["petitions_matter"] == manifest["matters"]["rows"]
    assert Matter.objects.count() == 1 + written
    assert "校验通过" in run("verify", str(archive))


@committed
def test_default_path_is_in_the_data_directory(world, driver, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    driver.to(Status.DISPATCHED)
    out = run("create")
    path = Path(re.search(r"备份完成：(\S+)", out).group(1))
    assert path.parent == tmp_path / "data" / "backups"
    assert re.fullmatch(r"xinfang-\d{8}-\d{6}\.tar\.gz", path.name)
    assert path.stat().st_mode & 0o077 == 0  # personal data: readable by the owner only
    assert "信访事项 1 件" in out and "petitions_matter" in out


@committed
def test_verify_detects_a_tampered_archive(world, driver, tmp_path):
    register_with_letter(driver)
    archive = tmp_path / "good.tar.gz"
    run("create", "--out", str(archive))
    out = run("verify", str(archive))
    assert "备份文件校验通过" in out
    manifest = read_manifest(archive)
    letter = next(n for n in manifest["files"] if n.startswith("media/"))
    db_member = manifest["database"]["file"]

    def flip(data: bytes) -> bytes:
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]

    bad_file = rewrite(archive, tmp_path / "bad-file.tar.gz", members={letter: flip})
    with pytest.raises(CommandError, match="校验和与清单不符") as err:
        run("verify", str(bad_file))
    assert letter in str(err.value)

    bad_db = rewrite(archive, tmp_path / "bad-db.tar.gz", members={db_member: flip})
    with pytest.raises(CommandError, match=f"文件 {db_member} 的校验和与清单不符"):
        run("verify", str(bad_db))

    def one_more_matter(m):
        m["counts"]["petitions_matter"] += 1
        return m

    bad_counts = rewrite(archive, tmp_path / "bad-counts.tar.gz", manifest=one_more_matter)
    with pytest.raises(CommandError, match="petitions_matter 的行数不一致：清单 2 行，实际 1 行"):
        run("verify", str(bad_counts))

    no_manifest = rewrite(archive, tmp_path / "no-manifest.tar.gz", drop={"manifest.json"})
    with pytest.raises(CommandError, match="没有 manifest.json"):
        run("verify", str(no_manifest))

    missing = rewrite(archive, tmp_path / "missing.tar.gz", drop={letter})
    with pytest.raises(CommandError, match=f"备份中缺少文件：{re.escape(letter)}"):
        run("verify", str(missing))

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(CommandError, match="不完整或已损坏"):
        run("verify", str(truncated))

    # restore refuses the same archives and changes nothing
    before = backup.matters_checksum()
    for bad in (bad_file, bad_db, bad_counts):
        with pytest.raises(CommandError, match="未做任何改动"):
            run("restore", str(bad), "--yes")
    assert backup.matters_checksum() == before
    assert encrypted_files.plain(attachment_file(Attachment.objects.get()).read_bytes()) == LETTER


@committed
def test_verify_recomputes_the_matter_checksum_of_a_sqlite_copy(world, driver, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL dumps are checked by their table of contents and row counts")
    driver.to(Status.DISPATCHED)
    archive = tmp_path / "good.tar.gz"
    run("create", "--out", str(archive))
    work = tmp_path / "copy.sqlite3"
    with tarfile.open(archive, "r:gz") as tar:
        work.write_bytes(tar.extractfile("database.sqlite3").read())
    con = sqlite3.connect(work)
    con.execute("UPDATE petitions_matter SET title = '被篡改的标题'")
    con.commit()
    con.close()
    data = work.read_bytes()

    def rehash(m):  # a forger who also fixes the file checksum is caught by the matter checksum
        m["files"]["database.sqlite3"] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        return m

    forged = rewrite(
        archive, tmp_path / "forged.tar.gz", manifest=rehash, members={"database.sqlite3": lambda _: data}
    )
    with pytest.raises(CommandError, match="信访事项校验和不一致"):
        run("verify", str(forged))


@committed
def test_restore_without_yes_into_a_database_with_data_is_refused(world, driver, tmp_path):
    driver.to(Status.DISPATCHED)
    archive = tmp_path / "b.tar.gz"
    run("create", "--out", str(archive))
    driver.register(title="备份之后登记的事项")
    before = backup.matters_checksum()
    with pytest.raises(CommandError, match="已有数据") as err:
        run("restore", str(archive))
    assert "--yes" in str(err.value)
    assert "信访事项 2 件" in str(err.value)
    assert backup.matters_checksum() == before


@committed
def test_restore_into_an_empty_database_needs_no_confirmation(world, driver, tmp_path):
    driver.to(Status.HANDLING)
    archive = tmp_path / "b.tar.gz"
    run("create", "--out", str(archive))
    expected = read_manifest(archive)
    call_command("flush", interactive=False, verbosity=0)
    assert not Matter.objects.exists()
    assert backup.data_rows() == {}
    assert "恢复完成" in run("restore", str(archive))
    assert backup.matters_checksum() == expected["matters"]
    assert live_counts(expected["counts"]) == expected["counts"]


@committed
def test_backup_from_a_newer_schema_is_refused(world, driver, tmp_path):
    driver.to(Status.DISPATCHED)
    archive = tmp_path / "b.tar.gz"
    run("create", "--out", str(archive))

    def from_the_future(m):
        m["migrations"]["applied"].append(["petitions", "9999_from_the_future"])
        m["migrations"]["latest"]["petitions"] = "9999_from_the_future"
        return m

    future = rewrite(archive, tmp_path / "future.tar.gz", manifest=from_the_future)
    Matter.objects.update(title="恢复前的标题")
    before = backup.matters_checksum()
    with pytest.raises(CommandError, match="比当前程序更新的版本") as err:
        run("restore", str(future), "--yes")
    assert "petitions.9999_from_the_future" in str(err.value)
    assert backup.matters_checksum() == before
    assert set(Matter.objects.values_list("title", flat=True)) == {"恢复前的标题"}
    # the archive itself is intact: verify passes and says why it cannot be restored here
    assert "本程序不能恢复" in run("verify", str(future))

    def newer_format(m):
        m["format_version"] = backup.FORMAT_VERSION + 1
        return m

    newer = rewrite(archive, tmp_path / "newer-format.tar.gz", manifest=newer_format)
    with pytest.raises(CommandError, match="备份格式版本 2 比本程序支持的版本 1 新"):
        run("restore", str(newer), "--yes")


@committed
def test_backup_of_another_database_type_is_refused(world, driver, tmp_path):
    driver.to(Status.DISPATCHED)
    archive = tmp_path / "b.tar.gz"
    run("create", "--out", str(archive))
    ours = connection.vendor
    other = "postgresql" if ours == "sqlite" else "sqlite"
    ours_file, other_file = backup.DATABASE_MEMBER[ours], backup.DATABASE_MEMBER[other]

    def relabel(m):
        m["database"] = {"vendor": other, "file": other_file}
        m["files"][other_file] = m["files"].pop(ours_file)
        return m

    foreign = rewrite(archive, tmp_path / "foreign.tar.gz", manifest=relabel, rename={ours_file: other_file})
    with pytest.raises(CommandError, match="不支持跨数据库类型恢复"):
        run("restore", str(foreign), "--yes")
    assert Matter.objects.count() == 1


def test_missing_postgresql_tools_give_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr(backup, "PG_SEARCH_DIRS", [str(tmp_path)])
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("XINFANG_PG_BIN", raising=False)
    with pytest.raises(backup.BackupError, match="找不到 PostgreSQL 工具 pg_dump.*XINFANG_PG_BIN"):
        backup.find_pg_tool("pg_dump")
    monkeypatch.setenv("XINFANG_PG_BIN", str(tmp_path))
    with pytest.raises(backup.BackupError, match="没有可执行的 pg_restore"):
        backup.find_pg_tool("pg_restore")
    tool = tmp_path / "pg_restore"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert backup.find_pg_tool("pg_restore") == str(tool)


def test_postgresql_tools_are_found_by_version(monkeypatch, tmp_path):
    monkeypatch.delenv("XINFANG_PG_BIN", raising=False)
    monkeypatch.setattr(backup, "PG_SEARCH_DIRS", [str(tmp_path)])
    for version in ("9.6", "15", "13"):
        tool = tmp_path / version / "bin" / "pg_dump"
        tool.parent.mkdir(parents=True)
        tool.write_text("#!/bin/sh\n")
        tool.chmod(0o755)
    assert backup.find_pg_tool("pg_dump") == str(tmp_path / "15" / "bin" / "pg_dump")


@committed
def test_sqlite_restore_refuses_while_another_process_has_the_database_open(world, driver, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite path: the running service is detected by its open connection")
    driver.to(Status.DISPATCHED)
    archive = tmp_path / "b.tar.gz"
    run("create", "--out", str(archive))
    Matter.objects.update(title="恢复前的标题")
    before = backup.matters_checksum()
    service = sqlite3.connect(backup.sqlite_path())  # what `xinfang run` would hold open
    service.execute("SELECT count(*) FROM petitions_matter").fetchone()
    try:
        with pytest.raises(CommandError, match="仍被其他进程使用.*请先停止信访通服务"):
            run("restore", str(archive), "--yes")
    finally:
        service.close()
    assert backup.matters_checksum() == before
    assert set(Matter.objects.values_list("title", flat=True)) == {"恢复前的标题"}
    leftovers = [
        p.name for p in backup.sqlite_path().parent.iterdir() if p.name.startswith(".xinfang-restore-")
    ]
    assert leftovers == []
    assert "恢复完成" in run("restore", str(archive), "--yes")  # once the service has stopped
    assert set(Matter.objects.values_list("title", flat=True)) == {"小区物业擅自提高停车费"}


@committed
def test_postgresql_restore_that_fails_leaves_the_database_as_it_was(world, driver, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL path: pg_restore --single-transaction")
    driver.to(Status.DISPATCHED)
    archive = tmp_path / "b.tar.gz"
    run("create", "--out", str(archive))
    Matter.objects.update(title="恢复前的标题")
    before = backup.matters_checksum()
    with connection.cursor() as cur:
        # An object outside the backup that depends on a table the restore must drop: pg_restore
        # fails part-way through, and the single transaction undoes what it had already done.
        cur.execute("CREATE VIEW zz_matter_titles AS SELECT id, title FROM petitions_matter")
    try:
        with pytest.raises(CommandError, match="pg_restore 恢复数据库.*已整体回滚"):
            run("restore", str(archive), "--yes")
        assert backup.matters_checksum() == before
        assert set(Matter.objects.values_list("title", flat=True)) == {"恢复前的标题"}
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP VIEW IF EXISTS zz_matter_titles")
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE zz_newer_feature (id integer)")
    try:
        with pytest.raises(CommandError, match="zz_newer_feature"):
            run("restore", str(archive), "--yes")
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS zz_newer_feature")
    assert "恢复完成" in run("restore", str(archive), "--yes")
    assert set(Matter.objects.values_list("title", flat=True)) == {"小区物业擅自提高停车费"}
