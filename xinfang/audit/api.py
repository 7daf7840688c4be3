"""Writing to and checking the audit log.

``record(...)`` appends one row in the caller's transaction: if the caller's change rolls back, so
does its audit row, and a failure to write the audit row rolls back the change. ``verify()`` walks
the whole chain and names the first broken row. The hash is defined in ``models``' docstring.
"""

import ipaddress
import json
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .models import GENESIS_HASH, AuditChainHead, AuditEntry

VERIFY_CHUNK = 2000


def record(action, *, user=None, target="", detail=None, request=None) -> AuditEntry:
    """Append one audit row and return it.

    ``user`` defaults to ``request.user`` when that is a logged-in user; the client address is taken
    from ``request.META["REMOTE_ADDR"]``. ``target`` is a short reference such as ``"matter:123"``.
    ``detail`` is a dict of JSON-able values (dates and the like are stored as strings).
    """
    if action not in AuditEntry.Action.values:
        raise ValueError(f"未知的审计操作类型：{action}")
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    unit = getattr(user, "unit", None) if user is not None else None
    entry = AuditEntry(
        user=user,
        username=_text(user.get_username() if user is not None else "", 150),
        unit_name=_text(unit.name if unit is not None else "", 100),
        ip=client_ip(request),
        action=action,
        target=_text(str(target or ""), 200),
        detail=normalise_detail(detail if detail is not None else {}),
    )
    with transaction.atomic():
        head = _locked_head()
        entry.seq = head.last_seq + 1
        entry.prev_hash = head.last_hash
        entry.at = timezone.now()  # taken under the lock, so time never runs backwards along the chain
        entry.row_hash = entry.compute_hash()
        entry._chained = True
        entry.save()
        head.last_seq, head.last_hash = entry.seq, entry.row_hash
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


def _locked_head() -> AuditChainHead:
    """The chain head, locked until the caller's transaction ends (created with the first row)."""
    try:
        return AuditChainHead.objects.select_for_update().get(pk=1)
    except AuditChainHead.DoesNotExist:
        last = AuditEntry.objects.order_by("-seq").only("seq", "row_hash").first()
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1,
            defaults={
                "last_seq": last.seq if last else 0,
                "last_hash": last.row_hash if last else GENESIS_HASH,
            },
        )
        return head


def client_ip(request) -> str:
    """The peer address of the request in canonical form; "" if there is none or it is malformed."""
    if request is None:
        return ""
    raw = (request.META.get("REMOTE_ADDR") or "").strip()
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return ""


def _text(value: str, limit: int) -> str:
    # PostgreSQL text cannot hold NUL; the column lengths are enforced before hashing so the stored
    # value is exactly the hashed one.
    return value.replace("\x00", "\ufffd")[:limit]


def normalise_detail(detail):
    """``detail`` as plain JSON types, exactly as it will come back from the database.

    Values that JSON has no type for go through Django's encoder (dates, decimals, UUIDs become
    strings); floats become strings too, because databases print them back differently.
    """
    return _plain(json.loads(json.dumps(detail, cls=DjangoJSONEncoder, ensure_ascii=False)))


def _plain(value):
    if isinstance(value, dict):
        return {_text(str(k), 10_000): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _text(value, 10_000)
    return value


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int  # rows found intact, in order, before the first broken one (all rows when ok)
    first_broken_seq: int | None
    reason: str  # in Chinese
    last_hash: str = ""  # hash of the newest intact row (GENESIS_HASH for an empty log)


def verify() -> VerifyResult:
    """Recompute the chain in seq order and report the first broken row.

    A row is broken when its number is not the previous number plus one (a row was deleted or
    forged), its ``prev_hash`` is not the previous row's ``row_hash``, or its content does not hash
    to its ``row_hash``. The chain head must name the newest row: otherwise rows were deleted from
    the end, or appended around the write path.

    Requests keep appending while the check runs, so it reads everything in one snapshot
    (``_read_snapshot``), the head first, and checks the chain up to the row the head names.
    """
    with _read_snapshot():
        head = AuditChainHead.objects.filter(pk=1).first()
        rows = AuditEntry.objects.order_by("seq")
        if head is not None:
            rows = rows.filter(seq__lte=head.last_seq)
        expected, prev_hash, checked = 1, GENESIS_HASH, 0
        for entry in rows.iterator(chunk_size=VERIFY_CHUNK):
            problem = _row_problem(entry, expected, prev_hash)
            if problem is not None:
                broken, reason = problem
                return VerifyResult(False, checked, broken, reason, prev_hash)
            prev_hash, expected, checked = entry.row_hash, expected + 1, checked + 1
        last_seq = expected - 1
        if head is None:
            if last_seq:
                return VerifyResult(
                    False,
                    checked,
                    last_seq + 1,
                    f"链头记录缺失，无法确认第{last_seq}条之后的记录是否被删除。",
                    prev_hash,
                )
        elif head.last_seq > last_seq:
            missing = (
                f"第{last_seq + 1}条"
                if head.last_seq == last_seq + 1
                else f"第{last_seq + 1}至{head.last_seq}条"
            )
            return VerifyResult(
                False, checked, last_seq + 1, f"末尾的{missing}记录缺失（被删除）。", prev_hash
            )
        elif head.last_hash != prev_hash:
            return VerifyResult(
                False,
                checked - 1,
                last_seq,
                f"第{last_seq}条的哈希与链头记录的不一致，该条可能被改写。",
                prev_hash,
            )
        elif AuditEntry.objects.filter(seq__gt=head.last_seq).exists():
            return VerifyResult(
                False,
                head.last_seq,
                head.last_seq + 1,
                f"第{head.last_seq + 1}条起的记录不是经审计接口写入的（链头只记到第{head.last_seq}条）。",
                head.last_hash,
            )
    return VerifyResult(True, checked, None, f"共{checked}条记录，哈希链完整。", prev_hash)


@contextmanager
def _read_snapshot():
    """Every read inside sees the database as it was at the first one, and writers are not held up.

    PostgreSQL: a REPEATABLE READ, READ ONLY transaction. SQLite: a deferred transaction (the
    project's transactions start IMMEDIATE, which takes the write lock and would stop every request
    for as long as the check runs); in WAL mode its reads share one snapshot. Inside a caller's
    transaction that transaction decides what is seen (on SQLite it already holds the write lock).
    """
    if connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    with connection.cursor() as cur:
        cur.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        if connection.connection.in_transaction:
            with connection.cursor() as cur:
                cur.execute("ROLLBACK")


def _row_problem(entry, expected, prev_hash):
    if entry.seq != expected:
        if entry.seq > expected:
            gap = f"第{expected}条" if entry.seq == expected + 1 else f"第{expected}至{entry.seq - 1}条"
            return expected, f"序号不连续：{gap}记录缺失（被删除）。"
        return entry.seq, f"出现不应有的序号{entry.seq}（伪造的记录）。"
    if entry.prev_hash != prev_hash:
        before = f"第{expected - 1}条" if expected > 1 else "链的起点"
        return entry.seq, f"该条记录的前序哈希与{before}的哈希不一致（记录被改写、插入或删除）。"
    try:
        actual = entry.compute_hash()
    except (TypeError, ValueError, UnicodeError) as exc:
        return entry.seq, f"该条记录的内容无法按规范序列化（{exc}），记录被改写。"
    if actual != entry.row_hash:
        return entry.seq, "该条记录的内容与其哈希不一致（内容被修改）。"
    return None
