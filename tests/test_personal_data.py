"""Personal data: SM4-GCM at rest, keyed SM3 search hashes, key rotation, masking by role."""

import base64

import pytest
from conftest import PETITIONER, TEST_KEYRING, Driver, sign_in
from django.db import connection

from xinfang.core import crypto
from xinfang.petitions.models import Petitioner


def test_roundtrip_and_tamper_detection():
    token = crypto.encrypt("欧阳娜娜", TEST_KEYRING)
    assert token.startswith("sm4gcm:test1:") and "欧阳" not in token
    assert crypto.decrypt(token, TEST_KEYRING) == "欧阳娜娜"
    assert crypto.encrypt("欧阳娜娜", TEST_KEYRING) != token  # a fresh nonce every time
    prefix, kid, b64 = token.split(":", 2)
    raw = bytearray(base64.b64decode(b64))
    raw[14] ^= 1
    with pytest.raises(crypto.CryptoKeyError, match="篡改"):
        crypto.decrypt(f"{prefix}:{kid}:{base64.b64encode(bytes(raw)).decode()}", TEST_KEYRING)


def test_rotation_keeps_old_ciphertexts_readable():
    old = crypto.encrypt("13812345678", TEST_KEYRING)
    rotated = crypto.Keyring((("k2", bytes(range(16, 32))), *TEST_KEYRING.data_keys), TEST_KEYRING.index_key)
    assert crypto.decrypt(old, rotated) == "13812345678"
    new = crypto.encrypt("13812345678", rotated)
    assert crypto.key_id_of(new) == "k2"
    with pytest.raises(crypto.CryptoKeyError, match="k2"):
        crypto.decrypt(new, TEST_KEYRING)  # the old ring lacks the new key
    relabelled = new.replace(":k2:", ":test1:")
    with pytest.raises(crypto.CryptoKeyError):
        crypto.decrypt(relabelled, rotated)  # the key id is authenticated


def test_keyring_from_environment_and_errors(tmp_path):
    env = {
        "XINFANG_DATA_KEYS": "a:" + base64.b64encode(bytes(16)).decode(),
        "XINFANG_INDEX_KEY": "A" * 43 + "=",
    }
    assert crypto.load_keyring(env).current_id == "a"
    with pytest.raises(crypto.CryptoKeyError, match="XINFANG_INDEX_KEY"):
        crypto.load_keyring({"XINFANG_DATA_KEYS": env["XINFANG_DATA_KEYS"]})
    with pytest.raises(crypto.CryptoKeyError, match="16字节"):
        crypto.load_keyring({**env, "XINFANG_DATA_KEYS": "a:" + base64.b64encode(bytes(8)).decode()})
    path = tmp_path / "keys.json"
    ring = crypto.load_keyring({}, default_file=path)  # the embedded set-up creates its key file
    assert path.stat().st_mode & 0o777 == 0o600
    assert crypto.load_keyring({}, default_file=path) == ring


def test_search_hash_is_keyed_and_separates_kinds():
    h = crypto.search_hash("id", "110101199003077774", TEST_KEYRING)
    assert len(h) == 64 and h == crypto.search_hash("id", "110101199003077774", TEST_KEYRING)
    assert h != crypto.search_hash("phone", "110101199003077774", TEST_KEYRING)
    other = crypto.Keyring(TEST_KEYRING.data_keys, bytes(32))
    assert h != crypto.search_hash("id", "110101199003077774", other)


def test_masks():
    assert crypto.mask_name("张三") == "张*"
    assert crypto.mask_id_number("110101199003071234") == "110***********1234"
    assert crypto.mask_phone("13812345678") == "138****5678"
    assert crypto.mask_address("东城区湖滨社区3栋2单元") == "东城区湖滨社******"


def test_database_holds_only_ciphertext(world):
    matter = Driver(world).register()
    with connection.cursor() as cur:
        cur.execute("SELECT name, id_number, phone, address, id_number_hash FROM petitions_petitioner")
        row = cur.fetchone()
    stored = " ".join(row[:4])
    for value in PETITIONER.values():
        assert value not in stored
    assert all(crypto.is_ciphertext(v) for v in row[:4])
    p = Petitioner.objects.get(matter=matter)
    assert (p.name, p.id_number, p.phone) == (
        PETITIONER["name"],
        PETITIONER["id_number"],
        PETITIONER["phone"],
    )
    assert Petitioner.objects.filter(phone_hash=crypto.search_hash("phone", "13800138000")).count() == 1


def test_detail_masks_for_supervisors_and_reveal_needs_a_reason(client, world):
    matter = Driver(world).register()
    sign_in(client, "alice")
    assert PETITIONER["phone"] in client.get(f"/matters/{matter.pk}/").content.decode()
    sign_in(client, "sam")
    body = client.get(f"/matters/{matter.pk}/").content.decode()
    assert "138****8000" in body and PETITIONER["phone"] not in body and "李*" in body
    refused = client.post(f"/matters/{matter.pk}/reveal/", {"reason": ""}).content.decode()
    assert "请填写查看原因" in refused and PETITIONER["phone"] not in refused
    shown = client.post(f"/matters/{matter.pk}/reveal/", {"reason": "核实督办事项联系人"}).content.decode()
    assert PETITIONER["phone"] in shown and PETITIONER["id_number"] in shown
    sign_in(client, "nora")  # out of scope
    assert client.post(f"/matters/{matter.pk}/reveal/", {"reason": "越权查看"}).status_code == 404


def test_rotate_and_reencrypt_commands(world, tmp_path, monkeypatch):
    from django.core.management import call_command

    from xinfang.core.management.commands.keys import key_ids_in_use
    from xinfang.core.models import Notification

    Driver(world).register()
    Driver(world).register()
    # A petitioner's contact waiting in the outbox is personal data under the key as well.
    contact = Notification.objects.create(
        audience=Notification.Audience.PETITIONER,
        recipient_contact="13800001111",
        kind="t",
        subject="s",
        body="b",
    )
    monkeypatch.delenv("XINFANG_DATA_KEYS", raising=False)
    monkeypatch.setenv("XINFANG_KEY_FILE", str(tmp_path / "keys.json"))
    crypto.write_key_file(tmp_path / "keys.json", TEST_KEYRING)
    try:
        call_command("keys", "rotate")
        new_id = crypto.keyring().current_id
        assert new_id != "test1" and key_ids_in_use()[Petitioner] == {"test1": 2}
        assert "test1" in key_ids_in_use()[Notification]
        assert Petitioner.objects.first().phone == PETITIONER["phone"]  # still readable meanwhile
        call_command("keys", "reencrypt", batch=1)
        assert key_ids_in_use()[Petitioner] == {new_id: 2}
        assert set(key_ids_in_use()[Notification]) == {new_id}
        assert {p.name for p in Petitioner.objects.all()} == {PETITIONER["name"]}
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT recipient_contact FROM {Notification._meta.db_table} WHERE id = %s", [contact.pk]
            )
            assert crypto.key_id_of(cur.fetchone()[0]) == new_id
        assert Notification.objects.get(pk=contact.pk).recipient_contact == "13800001111"
        reloaded = crypto.load_keyring({"XINFANG_KEY_FILE": str(tmp_path / "keys.json")})
        assert reloaded.current_id == new_id and reloaded.index_key == TEST_KEYRING.index_key
    finally:
        crypto.reset_keyring(TEST_KEYRING)


def test_retention_anonymises_long_closed_matters_and_keeps_statistics(
    world, settings, django_capture_on_commit_callbacks
):
    from datetime import date

    from django.core.files.uploadedfile import SimpleUploadedFile

    from xinfang.petitions.choices import Status
    from xinfang.petitions.models import Attachment, Matter
    from xinfang.petitions.retention import ANONYMISED_NAME, anonymise_due

    settings.XINFANG_RETENTION_DAYS = 365
    d = Driver(world)
    old = d.to(Status.WITHDRAWN, petitioners=[dict(PETITIONER)])  # closed 2025-03-04
    Attachment.objects.create(
        matter=old,
        file=SimpleUploadedFile("信.pdf", b"%PDF-1.4 x"),
        name="信.pdf",
        size=10,
        content_type="application/pdf",
        uploaded_by=world.alice,
    )
    path = Attachment.objects.get(matter=old).file.path
    recent = d.to(Status.HANDLING)
    by_category = Matter.objects.filter(category=world.category).count()

    assert anonymise_due(date(2026, 3, 4)) == 0  # exactly one year: not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert anonymise_due(date(2026, 3, 6)) == 1
    p = Petitioner.objects.get(matter=old)
    assert (p.name, p.id_number, p.phone, p.address, p.phone_hash) == (ANONYMISED_NAME, "", "", "", "")
    assert Petitioner.objects.get(matter=recent).phone == PETITIONER["phone"]
    old.refresh_from_db()
    assert old.personal_data_removed_on == date(2026, 3, 6) and old.status == Status.WITHDRAWN
    assert Matter.objects.filter(category=world.category).count() == by_category
    import os

    assert not os.path.exists(path)
    assert anonymise_due(date(2026, 3, 7)) == 0  # once


def test_reads_and_reveals_of_personal_data_are_audited(client, world):
    from xinfang.audit.models import AuditEntry

    matter = Driver(world).register()
    sign_in(client, "alice")
    client.get(f"/matters/{matter.pk}/")
    read = AuditEntry.objects.filter(action="read_personal").get()
    assert read.user == world.alice and read.target == f"matter:{matter.pk}"
    sign_in(client, "sam")
    client.get(f"/matters/{matter.pk}/")  # masked: not a read of personal data
    assert AuditEntry.objects.filter(action="read_personal").count() == 1
    client.post(f"/matters/{matter.pk}/reveal/", {"reason": "核实督办事项联系人"})
    reveal = AuditEntry.objects.get(action="reveal_personal")
    assert reveal.user == world.sam and reveal.detail["reason"] == "核实督办事项联系人"
    assert PETITIONER["phone"] not in str(reveal.detail)


def test_petitioner_contact_in_the_notification_outbox_is_encrypted(
    world, caplog, django_capture_on_commit_callbacks
):
    from xinfang.core.models import Notification
    from xinfang.petitions.choices import Status

    caplog.set_level("INFO", logger="xinfang.notifications")
    d = Driver(world)
    with django_capture_on_commit_callbacks(execute=True):
        matter = d.do(d.to(Status.DISPATCHED), "accept")
    note = Notification.objects.get(matter=matter, kind="accept", audience="petitioner")
    assert note.recipient_contact == PETITIONER["phone"]
    with connection.cursor() as cur:
        cur.execute("SELECT recipient_contact FROM core_notification WHERE id = %s", [note.pk])
        assert crypto.is_ciphertext(cur.fetchone()[0])
    assert PETITIONER["phone"] not in caplog.text and "138****8000" in caplog.text
