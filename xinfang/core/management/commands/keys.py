"""`xinfang keys …`: rotate the personal-data key without downtime.

1. `xinfang keys rotate` puts a new key first in the key file (or prints the new
   XINFANG_DATA_KEYS value to set); old keys stay, so every row remains readable.
2. Restart the processes (they read keys at start), then `xinfang keys reencrypt` rewrites rows
   still under an old key, in small transactions, while the system keeps working: the encrypted
   fields of every installed model (petitioners, the contacts in the notification outbox, …), found
   by their field type. Then the attachment files under an old key (or written before files were
   encrypted).
3. When `xinfang keys status` shows no row and no file under an old key, remove that key.
"""

import base64
import os
import secrets
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from xinfang.core import crypto, encrypted_files
from xinfang.core.fields import EncryptedTextField


def encrypted_models():
    """[(model, [encrypted fields])] of every installed model that has encrypted fields."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return found


# The storages whose files are encrypted: attachments, 台账 uploads and error files, list exports.
ENCRYPTED_STORAGES = ("default", "imports", "exports")


def file_key_ids():
    """{key id: number of files} of the encrypted storages (their first bytes only)."""
    counts = {}
    for alias in ENCRYPTED_STORAGES:
        for kid, n in encrypted_files.key_counts(storages[alias]).items():
            counts[kid] = counts.get(kid, 0) + n
    return counts


def key_ids_in_use():
    """{model: {key id: number of rows}} from the stored ciphertexts (read raw: no decryption). A row
    counts under each key its non-empty encrypted values are under; a row with none is not counted."""
    usage = {}
    for model, fields in encrypted_models():
        counts = usage.setdefault(model, {})
        with connection.cursor() as cur:
            cur.execute(f"SELECT {_columns(fields)} FROM {_table(model)}")
            for values in cur.fetchall():
                kids = {crypto.key_id_of(v) if crypto.is_ciphertext(v) else "（未加密）" for v in values if v}
                for kid in kids:
                    counts[kid] = counts.get(kid, 0) + 1
    return usage


def ids_not_under(model, fields, kid):
    """Primary keys of the rows with a non-empty encrypted value not under key ``kid``."""
    prefix = f"{crypto.PREFIX}:{kid}:"
    quote = connection.ops.quote_name
    stale = " OR ".join(f"({quote(f.column)} <> '' AND {quote(f.column)} NOT LIKE %s)" for f in fields)
    pk = quote(model._meta.pk.column)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {pk} FROM {_table(model)} WHERE {stale} ORDER BY {pk}", [prefix + "%"] * len(fields)
        )
        return [row[0] for row in cur.fetchall()]


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _columns(fields):
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


class Command(BaseCommand):
    help = "个人信息加密密钥：status 查看、rotate 轮换、reencrypt 用当前密钥重新加密旧数据。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, title="子命令")
        sub.add_parser("status", help="各密钥加密的记录数")
        sub.add_parser("rotate", help="生成新密钥并设为当前密钥（旧密钥保留用于解密）")
        re = sub.add_parser("reencrypt", help="把旧密钥加密的记录改用当前密钥加密")
        re.add_argument("--batch", type=int, default=500, help="每个事务处理的记录数")

    def handle(self, *args, subcommand, **options):
        try:
            getattr(self, f"handle_{subcommand}")(**options)
        except crypto.CryptoKeyError as exc:
            raise CommandError(str(exc)) from exc

    def handle_status(self, **_):
        ring = crypto.keyring()
        self.stdout.write(
            f"当前密钥：{ring.current_id}；可解密的密钥：{'、'.join(k for k, _ in ring.data_keys)}"
        )
        for model, counts in key_ids_in_use().items():
            for kid, n in sorted(counts.items()):
                self.stdout.write(f"  {kid}: {n} 条{model._meta.verbose_name}记录")
        for kid, n in sorted(file_key_ids().items()):
            self.stdout.write(f"  {kid}: {n} 个附件文件")

    def handle_rotate(self, **_):
        ring = crypto.keyring()
        new_id = f"k{secrets.token_hex(3)}"
        rotated = crypto.Keyring(((new_id, secrets.token_bytes(16)), *ring.data_keys), ring.index_key)
        if os.environ.get("XINFANG_DATA_KEYS"):
            value = ",".join(f"{kid}:{base64.b64encode(k).decode()}" for kid, k in rotated.data_keys)
            self.stdout.write(
                "密钥来自环境变量：请把 XINFANG_DATA_KEYS 改为下面的值，重启后运行 xinfang keys reencrypt："
            )
            self.stdout.write(value)
            return
        path = Path(os.environ.get("XINFANG_KEY_FILE") or Path(settings.DATA_DIR) / "keys.json")
        crypto.write_key_file(path, rotated)
        crypto.reset_keyring(rotated)
        self.stdout.write(
            f"已生成新密钥 {new_id} 并写入 {path}；请重启服务，然后运行 xinfang keys reencrypt。"
        )

    def handle_reencrypt(self, *, batch, **_):
        ring = crypto.keyring()
        for model, fields in encrypted_models():
            ids = ids_not_under(model, fields, ring.current_id)
            done = 0
            for i in range(0, len(ids), batch):
                with transaction.atomic():
                    rows = list(model._base_manager.select_for_update().filter(pk__in=ids[i : i + batch]))
                    # Read back as text, written again with the current key.
                    model._base_manager.bulk_update(rows, [f.name for f in fields])
                done += len(rows)
                self.stdout.write(f"  {model._meta.verbose_name}：已重新加密 {done}/{len(ids)}")
            self.stdout.write(f"{model._meta.verbose_name}：{done} 条记录改用密钥 {ring.current_id} 加密。")
        rewritten = checked = 0
        for alias in ENCRYPTED_STORAGES:
            done_here, checked_here = encrypted_files.reencrypt(storages[alias])
            rewritten, checked = rewritten + done_here, checked + checked_here
        self.stdout.write(f"附件文件：共{checked}个，{rewritten}个改用密钥 {ring.current_id} 加密。")
