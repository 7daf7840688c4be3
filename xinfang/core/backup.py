"""Backup, verification and restore of the database and the attachment files.

One backup is one ``.tar.gz`` file. Its first member is ``manifest.json``, then the database, then
every file under MEDIA_ROOT:

    manifest.json          format version, time, database vendor, migration state, row counts per
                           table, the matter checksum, and the size and SHA-256 of every other member
    database.sqlite3       SQLite: a consistent copy taken with the online backup API (the app may keep
                           writing: WAL readers do not block writers); journal mode DELETE, one file
    database.pgdump        PostgreSQL: ``pg_dump --format=custom`` of an exported snapshot; the counts
                           and the checksum are read inside that same snapshot
    media/<path>           the attachments

Restoring checks the archive first (every checksum, the schema, the vendor), stages everything next to
its destination, and only then replaces the database: SQLite by ``os.replace`` of a complete file
(atomic), PostgreSQL by ``pg_restore --single-transaction`` (all or nothing). Afterwards the row counts
and the matter checksum are computed again from the restored database and compared with the manifest.

Everything here raises BackupError with a Chinese message; the command turns it into CommandError.
"""

import errno
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

FORMAT = "xinfang-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MEDIA_PREFIX = "media/"
VENDOR_LABEL = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
MIGRATIONS_TABLE = "django_migrations"
CHUNK = 1 << 20
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
# Rows that migrations write into a fresh database: their presence does not make a target "not empty".
REFERENCE_MODELS = {
    "contenttypes.contenttype",
    "auth.permission",
    "petitions.category",
    "deadlines.policyset",
    "deadlines.policyrule",
}
PG_SEARCH_DIRS = ["/usr/lib/postgresql"]


class BackupError(Exception):
    """A backup, verification or restore cannot go on; the message is for the operator."""


# ---------------------------------------------------------------- the matter checksum

_BOOL = {"BooleanField", "NullBooleanField"}


def _matter_column_kinds() -> dict[str, str]:
    matter = apps.get_model("petitions", "Matter")
    return {f.column: f.get_internal_type() for f in matter._meta.concrete_fields}


def _canonical(value, kind=None):
    """One JSON-ready value for a database value, the same whichever driver returned it.

    SQLite read without type detection gives 0/1 and text for booleans and dates; Django's SQLite
    connection gives bool/date/naive-UTC datetime; psycopg gives aware datetimes. All of them end as
    true/false, ISO dates, and ISO datetimes in UTC.
    """
    if value is None:
        return None
    if kind in _BOOL:
        if isinstance(value, str):
            return value.strip().lower() in {"1", "t", "true"}
        return bool(value)
    if kind == "DateTimeField":
        if isinstance(value, str):
            parsed = parse_datetime(value)
            if parsed is None:
                raise BackupError(f"无法解析日期时间值「{value}」。")
            value = parsed
        if timezone.is_naive(value):
            value = value.replace(tzinfo=UTC)  # USE_TZ: naive values in the database are UTC
        return value.astimezone(UTC).isoformat()
    if kind == "DateField":
        if isinstance(value, str):
            parsed = parse_date(value)
            if parsed is None:
                raise BackupError(f"无法解析日期值「{value}」。")
            value = parsed
        return value.isoformat()
    if kind == "JSONField":
        return json.loads(value) if isinstance(value, str | bytes) else value
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return _canonical(value, "DateTimeField")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def matters_checksum(cursor=None, *, using=DEFAULT_DB_ALIAS) -> dict:
    """SHA-256 over every matter (petitions.Matter), rows ordered by id.

    The first line hashed is the sorted list of the table's columns; then one line per row: the JSON
    array of its values in that column order, each value canonical (see `_canonical`). The columns
    are read from the table itself, so the checksum also works on a database one migration behind
    the code. `cursor` is any DB-API cursor on the database; without it one is opened on `using`.
    Returns {"rows", "columns", "sha256"}.
    """
    if cursor is None:
        with open_cursor(using) as cur:
            return matters_checksum(cur)
    matter = apps.get_model("petitions", "Matter")
    cursor.execute(f'SELECT * FROM "{matter._meta.db_table}" ORDER BY "{matter._meta.pk.column}"')
    names = [d[0] for d in cursor.description]
    order = sorted(range(len(names)), key=lambda i: names[i])
    kinds = _matter_column_kinds()
    columns = [names[i] for i in order]
    column_kinds = [kinds.get(c) for c in columns]
    digest = hashlib.sha256()
    digest.update(json.dumps(columns).encode() + b"\n")
    rows = 0
    while batch := cursor.fetchmany(2000):
        for row in batch:
            values = [_canonical(row[i], k) for i, k in zip(order, column_kinds, strict=True)]
            line = json.dumps(values, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            digest.update(line.encode() + b"\n")
            rows += 1
    return {"rows": rows, "columns": columns, "sha256": digest.hexdigest()}


# ---------------------------------------------------------------- reading a database


def database_vendor(using=DEFAULT_DB_ALIAS) -> str:
    vendor = connections[using].vendor
    if vendor not in DATABASE_MEMBER:
        raise BackupError(f"不支持备份 {vendor} 数据库：只支持 SQLite 和 PostgreSQL。")
    return vendor


def sqlite_path(using=DEFAULT_DB_ALIAS) -> Path:
    """The file of the live SQLite database (under pytest: the test database, not settings')."""
    name = str(connections[using].settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        raise BackupError("当前 SQLite 数据库在内存中，无法备份或恢复。")
    return Path(name).resolve()


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    """A plain connection (no type detection) to an existing file; never creates one."""
    try:
        return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error as e:
        raise BackupError(f"无法打开 SQLite 数据库 {path}：{e}") from e


@contextmanager
def open_cursor(using=DEFAULT_DB_ALIAS):
    """A cursor on the live database: a plain sqlite3 one for SQLite, Django's for PostgreSQL."""
    if database_vendor(using) == "sqlite":
        con = _sqlite_connect(sqlite_path(using))
        try:
            yield con.cursor()
        finally:
            con.close()
    else:
        with connections[using].cursor() as cur:
            yield cur


def _existing_tables(cursor, vendor) -> set[str]:
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return {row[0] for row in cursor.fetchall()}


def _model_tables() -> dict[str, str]:
    """Table name → model label of every managed model (many-to-many tables included)."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy:
            tables.setdefault(meta.db_table, meta.label_lower)
    return tables


def table_counts(cursor, tables) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


def _describe(cursor, vendor) -> dict:
    """Migration state, row counts and the matter checksum, read through one cursor."""
    existing = _existing_tables(cursor, vendor)
    if MIGRATIONS_TABLE not in existing:
        raise BackupError("数据库尚未初始化（没有 django_migrations 表），请先运行 xinfang migrate。")
    cursor.execute(f'SELECT app, name FROM "{MIGRATIONS_TABLE}" ORDER BY id')
    applied = [[app, name] for app, name in cursor.fetchall()]
    latest = {}
    for app, name in applied:
        latest[app] = name
    tables = (set(_model_tables()) | {MIGRATIONS_TABLE}) & existing
    matter_table = apps.get_model("petitions", "Matter")._meta.db_table
    if matter_table not in existing:
        raise BackupError(f"数据库中没有信访事项表 {matter_table}，请先运行 xinfang migrate。")
    return {
        "migrations": {"latest": dict(sorted(latest.items())), "applied": applied},
        "counts": table_counts(cursor, tables),
        "matters": matters_checksum(cursor),
    }


def data_rows(using=DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Tables of the target database that hold rows beyond what migrations write: {table: rows}."""
    vendor = database_vendor(using)
    if vendor == "sqlite" and not sqlite_path(using).exists():
        return {}
    model_tables = _model_tables()
    try:
        with open_cursor(using) as cur:
            existing = _existing_tables(cur, vendor)
            tables = {t for t, label in model_tables.items() if label not in REFERENCE_MODELS} & existing
            return {t: n for t, n in table_counts(cur, tables).items() if n}
    except sqlite3.DatabaseError as e:
        raise BackupError(
            f"无法读取目标数据库 {sqlite_path(using)}（{e}）。如果它已经损坏、要用备份替换，请加 --yes。"
        ) from e


# ---------------------------------------------------------------- migrations


def schema_problems(manifest) -> tuple[list[str], list[str]]:
    """(applied migrations in the backup that this code does not know, code migrations it lacks)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(tuple(r) for r in migration.replaces)
    applied = {tuple(pair) for pair in manifest["migrations"]["applied"]}
    unknown = sorted(f"{app}.{name}" for app, name in applied - known)
    missing = sorted(
        f"{app}.{name}"
        for (app, name), migration in loader.disk_migrations.items()
        if (app, name) not in applied and not any(tuple(r) in applied for r in migration.replaces)
    )
    return unknown, missing


# ---------------------------------------------------------------- PostgreSQL tools


def _version_key(path: Path):
    return [int(p) if p.isdigit() else 0 for p in re.split(r"[.]", path.parent.parent.name)]


def find_pg_tool(name: str) -> str:
    """pg_dump/pg_restore: XINFANG_PG_BIN, else the newest /usr/lib/postgresql/*/bin, else PATH."""
    override = os.environ.get("XINFANG_PG_BIN")
    if override:
        candidate = Path(override) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise BackupError(f"XINFANG_PG_BIN 指定的目录 {override} 中没有可执行的 {name}。")
    found = []
    for base in PG_SEARCH_DIRS:
        found += [p for p in Path(base).glob(f"*/bin/{name}") if p.is_file() and os.access(p, os.X_OK)]
    if found:
        return str(max(found, key=_version_key))
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise BackupError(
        f"找不到 PostgreSQL 工具 {name}：请安装 PostgreSQL 客户端（Debian：apt-get install postgresql-client），"
        "或用环境变量 XINFANG_PG_BIN 指定它所在的目录。"
    )


def _pg_env(settings_dict) -> dict[str, str]:
    """libpq environment for the configured database; the password goes only here."""
    env = dict(os.environ)
    options = settings_dict.get("OPTIONS") or {}
    pairs = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
        "PGSSLMODE": options.get("sslmode"),
        "PGSSLROOTCERT": options.get("sslrootcert"),
        "PGSSLCERT": options.get("sslcert"),
        "PGSSLKEY": options.get("sslkey"),
        "PGPASSFILE": options.get("passfile"),
        "PGSERVICE": options.get("service"),
    }
    for key, value in pairs.items():
        if value:
            env[key] = str(value)
    return env


def _run(args, env, what):
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except OSError as e:
        raise BackupError(f"无法运行 {args[0]}：{e}") from e
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        raise BackupError(f"{what}失败（{Path(args[0]).name} 退出码 {result.returncode}）：\n{detail}")
    return result.stdout


_TOC_LINE = re.compile(r"^\d+;\s+\d+\s+\d+\s+(TABLE DATA|TABLE)\s+(\S+)\s+(\S+)")


def _pg_dump_tables(dump: Path) -> tuple[set[str], set[str]]:
    """(tables, tables with data) listed in a custom-format dump's table of contents."""
    toc = _run(
        [find_pg_tool("pg_restore"), "--list", str(dump)], dict(os.environ), "读取 PostgreSQL 备份目录"
    )
    tables, data = set(), set()
    for line in toc.splitlines():
        m = _TOC_LINE.match(line)
        if m:
            (data if m.group(1) == "TABLE DATA" else tables).add(m.group(3).strip('"'))
    return tables, data


def _pg_dump_counts(dump: Path) -> dict[str, int]:
    """Rows per table in a custom-format dump, counted from its COPY data without a server."""
    args = [find_pg_tool("pg_restore"), "--data-only", "--file=-", str(dump)]
    counts = {}
    try:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        raise BackupError(f"无法运行 {args[0]}：{e}") from e
    table = None
    for raw in proc.stdout:
        if table is None:
            if raw.startswith(b"COPY "):
                name = raw[5:].split(b" ", 1)[0].decode()
                table = name.rsplit(".", 1)[-1].strip('"')
                counts[table] = 0
        elif raw.rstrip(b"\n") == b"\\.":
            table = None
        else:
            counts[table] += 1
    stderr = proc.stderr.read().decode(errors="replace")
    if proc.wait() != 0:
        raise BackupError(f"读取 PostgreSQL 备份数据失败：{stderr.strip()[-2000:]}")
    return counts


# ---------------------------------------------------------------- results


@dataclass
class BackupResult:
    path: Path
    size: int
    seconds: float
    manifest: dict


@dataclass
class VerifyResult:
    manifest: dict
    size: int
    seconds: float
    notes: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    manifest: dict
    seconds: float
    media_removed: int
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- create


def default_backup_path(now=None) -> Path:
    stamp = timezone.localtime(now or timezone.now()).strftime("%Y%m%d-%H%M%S")
    folder = Path(settings.DATA_DIR) / "backups"
    path = folder / f"xinfang-{stamp}.tar.gz"
    n = 2
    while path.exists():
        path = folder / f"xinfang-{stamp}-{n}.tar.gz"
        n += 1
    return path


def _sha256_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _media_files(root: Path) -> dict[str, Path]:
    """Archive member name → file, for every regular file under MEDIA_ROOT."""
    files = {}
    if not root.is_dir():
        return files
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder, name)
            if path.is_file():
                files[MEDIA_PREFIX + path.relative_to(root).as_posix()] = path
    return files


def _snapshot_sqlite(source: Path, target: Path) -> dict:
    if not source.exists():
        raise BackupError(f"SQLite 数据库文件 {source} 不存在，请先运行 xinfang migrate。")
    src = _sqlite_connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            # One step: the whole copy is read in a single read transaction, i.e. one consistent
            # snapshot; in WAL mode the application's writers are not blocked meanwhile.
            src.backup(dst, pages=-1)
            mode = dst.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            if mode.lower() != "delete":
                raise BackupError(f"无法把备份副本改为单文件模式（journal_mode={mode}）。")
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"备份副本的完整性检查未通过：{check}")
            info = _describe(dst.cursor(), "sqlite")
            info["database"] = {"vendor": "sqlite", "sqlite_version": sqlite3.sqlite_version}
            return info
        finally:
            dst.close()
    except sqlite3.Error as e:
        raise BackupError(f"SQLite 在线备份失败：{e}") from e
    finally:
        src.close()


def _snapshot_postgresql(using, target: Path) -> dict:
    pg_dump = find_pg_tool("pg_dump")
    conn = connections[using]
    if conn.in_atomic_block:
        raise BackupError("不能在数据库事务中创建备份。")
    conn.ensure_connection()
    with transaction.atomic(using=using), conn.cursor() as cur:
        # The dump and the counts see one snapshot: pg_dump imports the one exported here.
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cur.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, server_version = cur.fetchone()
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            _pg_env(conn.settings_dict),
            "pg_dump 导出数据库",
        )
        info = _describe(cur, "postgresql")
    info["database"] = {"vendor": "postgresql", "server_version": server_version}
    return info


class _HashingReader:
    """Reads a file for tarfile while checking it still has the SHA-256 the manifest promises."""

    def __init__(self, fh):
        self.fh, self.digest = fh, hashlib.sha256()

    def read(self, size=-1):
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def create_backup(out=None, *, using=DEFAULT_DB_ALIAS) -> BackupResult:
    """Snapshot the database, add the attachments and a manifest; written as <out> only when complete."""
    out = Path(out).resolve() if out else default_backup_path()
    if out.exists():
        raise BackupError(f"输出文件 {out} 已存在，不会覆盖；请换一个路径。")
    try:
        return _create(out, using)
    except OSError as e:
        raise BackupError(f"写入备份 {out} 失败：{e}") from e


def _create(out: Path, using) -> BackupResult:
    started = time.monotonic()
    vendor = database_vendor(using)
    default_folder = out.parent == Path(settings.DATA_DIR).resolve() / "backups"
    out.parent.mkdir(parents=True, exist_ok=True)
    if default_folder:
        os.chmod(out.parent, 0o700)  # backups hold personal data
    db_member = DATABASE_MEMBER[vendor]
    with tempfile.TemporaryDirectory(prefix=".xinfang-backup-", dir=out.parent) as tmp:
        db_copy = Path(tmp) / db_member
        if vendor == "sqlite":
            info = _snapshot_sqlite(sqlite_path(using), db_copy)
        else:
            info = _snapshot_postgresql(using, db_copy)
        members = {db_member: db_copy} | _media_files(Path(settings.MEDIA_ROOT))
        files = {}
        for name, path in members.items():
            sha, size = _sha256_file(path)
            files[name] = {"size": size, "sha256": sha}
        media = [f for n, f in files.items() if n.startswith(MEDIA_PREFIX)]
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": timezone.localtime().isoformat(),
            "xinfang_version": _app_version(),
            "database": info["database"] | {"file": db_member},
            "migrations": info["migrations"],
            "counts": info["counts"],
            "matters": info["matters"],
            "media": {"files": len(media), "bytes": sum(f["size"] for f in media)},
            "files": files,
        }
        partial = Path(tmp) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            _add_bytes(tar, MANIFEST, data)
            for name, path in members.items():
                _add_file(tar, name, path, files[name])
        os.chmod(partial, 0o600)
        os.replace(partial, out)
    return BackupResult(out, out.stat().st_size, time.monotonic() - started, manifest)


def _app_version() -> str:
    try:
        return metadata.version("xinfang")
    except metadata.PackageNotFoundError:
        return "unknown"


def _tarinfo(name, size):
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(time.time())
    info.mode = 0o600
    return info


def _add_bytes(tar, name, data: bytes):
    tar.addfile(_tarinfo(name, len(data)), io.BytesIO(data))


def _add_file(tar, name, path: Path, expected):
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size != expected["size"]:
                raise BackupError(f"文件 {name} 在备份过程中被修改，请重新备份。")
            reader = _HashingReader(fh)
            tar.addfile(_tarinfo(name, expected["size"]), reader)
    except FileNotFoundError as e:
        raise BackupError(f"文件 {name} 在备份过程中被删除，请重新备份。") from e
    if reader.digest.hexdigest() != expected["sha256"]:
        raise BackupError(f"文件 {name} 在备份过程中被修改，请重新备份。")


# ---------------------------------------------------------------- reading an archive


def _parse_manifest(data: bytes) -> dict:
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BackupError(f"manifest.json 不是有效的 JSON：{e}") from e
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("manifest.json 不是信访通备份清单。")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise BackupError("备份清单缺少格式版本号。")
    if version > FORMAT_VERSION:
        raise BackupError(
            f"备份格式版本 {version} 比本程序支持的版本 {FORMAT_VERSION} 新，请升级信访通后再操作。"
        )
    required = {
        "database": dict,
        "migrations": dict,
        "counts": dict,
        "matters": dict,
        "files": dict,
        "created_at": str,
    }
    for key, kind in required.items():
        if not isinstance(manifest.get(key), kind):
            raise BackupError(f"备份清单缺少或损坏了「{key}」一项。")
    vendor = manifest["database"].get("vendor")
    if vendor not in DATABASE_MEMBER:
        raise BackupError(f"备份清单中的数据库类型「{vendor}」无法识别。")
    if DATABASE_MEMBER[vendor] not in manifest["files"]:
        raise BackupError("备份清单中没有数据库文件。")
    if not isinstance(manifest["migrations"].get("applied"), list):
        raise BackupError("备份清单缺少迁移状态。")
    return manifest


def _member_problem(member: tarfile.TarInfo) -> str | None:
    path = PurePosixPath(member.name)
    if not member.isreg():
        return f"备份中有非普通文件的成员 {member.name}（链接或设备文件），已拒绝。"
    if path.is_absolute() or ".." in path.parts or "\\" in member.name:
        return f"备份中有不安全的路径 {member.name}，已拒绝。"
    return None


@dataclass
class _Scan:
    manifest: dict
    problems: list[str]
    staged: dict[str, Path]  # member name → staged file


def _scan(archive: Path, *, stage: Path | None = None, stage_media=False, on_manifest=None) -> _Scan:
    """Read the archive once, hashing every member; stage the database (and media) under `stage`."""
    if not archive.is_file():
        raise BackupError(f"备份文件 {archive} 不存在。")
    problems, seen, staged = [], {}, {}
    manifest = None
    try:
        with tarfile.open(archive, "r|gz") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isreg():
                raise BackupError(
                    "备份文件中没有 manifest.json（它必须是第一个成员）：这不是信访通备份，或文件已损坏。"
                )
            if first.size > MAX_MANIFEST_BYTES:
                raise BackupError("manifest.json 过大，文件已损坏。")
            manifest = _parse_manifest(tar.extractfile(first).read())
            if on_manifest:
                on_manifest(manifest)
            files = manifest["files"]
            db_member = manifest["database"]["file"]
            while (member := tar.next()) is not None:
                problem = _member_problem(member)
                if problem:
                    problems.append(problem)
                    continue
                name = member.name
                if name not in files:
                    problems.append(f"备份中有清单未列出的文件：{name}")
                    continue
                if name in seen:
                    problems.append(f"备份中文件重复出现：{name}")
                    continue
                dest = None
                if stage is not None and (
                    name == db_member or (stage_media and name.startswith(MEDIA_PREFIX))
                ):
                    dest = stage / name
                    dest.parent.mkdir(parents=True, exist_ok=True)
                seen[name] = _copy_member(tar.extractfile(member), dest)
                if dest is not None:
                    staged[name] = dest
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        problems.append(f"备份文件不完整或已损坏：{e}")
        if manifest is None:
            raise BackupError(f"无法读取备份文件 {archive}：{e}") from e
    for name, expected in manifest["files"].items():
        got = seen.get(name)
        if got is None:
            problems.append(f"备份中缺少文件：{name}")
        elif got != (expected.get("sha256"), expected.get("size")):
            problems.append(f"文件 {name} 的校验和与清单不符（已被修改或损坏）。")
    return _Scan(manifest, problems, staged)


def _copy_member(src, dest: Path | None) -> tuple[str, int]:
    """Hash one member while reading it; write it to `dest` too when given."""
    digest, size = hashlib.sha256(), 0
    if dest is None:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
        return digest.hexdigest(), size
    try:
        out = open(dest, "wb")
    except OSError as e:
        raise BackupError(f"无法写入临时文件 {dest}：{e}") from e
    with out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            try:
                out.write(chunk)
            except OSError as e:
                raise BackupError(f"写入临时文件 {dest} 失败（磁盘空间不足？）：{e}") from e
        try:
            out.flush()
            os.fsync(out.fileno())
        except OSError as e:
            raise BackupError(f"写入临时文件 {dest} 失败（磁盘空间不足？）：{e}") from e
    return digest.hexdigest(), size


def _compare(manifest, counts, matters) -> list[str]:
    """Differences between the manifest and counts/checksum computed from a database."""
    problems = []
    expected = manifest["counts"]
    for table in sorted(set(expected) | set(counts)):
        want, got = expected.get(table), counts.get(table)
        if want != got:
            problems.append(f"数据表 {table} 的行数不一致：清单 {_fmt(want)}，实际 {_fmt(got)}。")
    want_m = manifest["matters"]
    if matters is not None and (want_m.get("sha256"), want_m.get("rows")) != (
        matters["sha256"],
        matters["rows"],
    ):
        problems.append(
            f"信访事项校验和不一致：清单 {want_m.get('rows')} 件 {str(want_m.get('sha256'))[:16]}…，"
            f"实际 {matters['rows']} 件 {matters['sha256'][:16]}…。"
        )
    return problems


def _fmt(n):
    return "无此表" if n is None else f"{n} 行"


def _check_sqlite_file(path: Path, manifest) -> list[str]:
    """Integrity check of a staged SQLite file, then its counts and checksum against the manifest."""
    con = _sqlite_connect(path)
    try:
        check = con.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            return [f"备份中的 SQLite 数据库未通过完整性检查：{check}"]
        cur = con.cursor()
        counts = table_counts(cur, manifest["counts"].keys() & _existing_tables(cur, "sqlite"))
        return _compare(manifest, counts, matters_checksum(cur))
    except sqlite3.Error as e:
        return [f"备份中的 SQLite 数据库无法读取：{e}"]
    finally:
        con.close()


def _check_pg_dump(path: Path, manifest) -> list[str]:
    tables, with_data = _pg_dump_tables(path)
    problems = [f"PostgreSQL 备份中没有数据表 {t}。" for t in sorted(set(manifest["counts"]) - tables)]
    problems += [
        f"PostgreSQL 备份中没有数据表 {t} 的数据。"
        for t in sorted(set(manifest["counts"]) & tables - with_data)
    ]
    if problems:
        return problems
    counts = _pg_dump_counts(path)
    return _compare(manifest, {t: counts.get(t, 0) for t in manifest["counts"]}, None)


# ---------------------------------------------------------------- verify


def verify_backup(path) -> VerifyResult:
    """Every member's checksum; the database copy's integrity, row counts and (SQLite) matter checksum."""
    started = time.monotonic()
    archive = Path(path).resolve()
    with tempfile.TemporaryDirectory(prefix="xinfang-verify-") as tmp:
        scan = _scan(archive, stage=Path(tmp))
        manifest, problems = scan.manifest, scan.problems
        db_member = manifest["database"]["file"]
        if not problems:
            staged = scan.staged[db_member]
            if manifest["database"]["vendor"] == "sqlite":
                problems += _check_sqlite_file(staged, manifest)
            else:
                problems += _check_pg_dump(staged, manifest)
    if problems:
        raise BackupError(_problem_text("备份文件校验失败", problems))
    notes = []
    unknown, _ = schema_problems(manifest)
    if unknown:
        notes.append("注意：此备份含本程序不认识的迁移（" + "、".join(unknown[:5]) + "），本程序不能恢复它。")
    return VerifyResult(manifest, archive.stat().st_size, time.monotonic() - started, notes)


def _problem_text(title, problems, limit=20):
    lines = [f"{title}：", *(f"  - {p}" for p in problems[:limit])]
    if len(problems) > limit:
        lines.append(f"  …… 另有 {len(problems) - limit} 处问题")
    return "\n".join(lines)


# ---------------------------------------------------------------- restore


def _fsync_dir(folder: Path):
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_sqlite(target: Path, staged: Path):
    """Put the staged file in place of the database in one atomic rename."""
    corrupt = False
    if target.exists():
        # Leaving WAL mode needs every other connection closed: if it fails, the service is running.
        # It also checkpoints, so until the rename below the old database stays complete.
        try:
            con = sqlite3.connect(f"{target.as_uri()}?mode=rw", uri=True, timeout=5, isolation_level=None)
            try:
                mode = con.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            finally:
                con.close()
        except sqlite3.OperationalError as e:
            raise BackupError(
                f"数据库 {target} 仍被其他进程使用（{e}）：请先停止信访通服务（xinfang run）和后台任务再恢复。"
            ) from e
        except sqlite3.DatabaseError:
            corrupt = True  # not a readable database any more: replacing it is the point
            mode = "delete"
        if mode.lower() != "delete":
            raise BackupError(f"数据库 {target} 仍被其他进程使用：请先停止信访通服务和后台任务再恢复。")
    for suffix in ("-wal", "-shm", "-journal"):
        stale = Path(f"{target}{suffix}")
        if stale.exists():
            stale.unlink()  # frames of the old database must never be applied to the new one
    os.replace(staged, target)
    _fsync_dir(target.parent)
    return corrupt


def _restore_postgresql(using, dump: Path):
    conn = connections[using]
    pg_restore = find_pg_tool("pg_restore")
    dump_tables, _ = _pg_dump_tables(dump)
    with conn.cursor() as cur:
        extra = _existing_tables(cur, "postgresql") - dump_tables
    if extra:
        raise BackupError(
            "目标数据库中有备份里没有的数据表（" + "、".join(sorted(extra)[:10]) + "），"
            "多半是较新版本的迁移建立的；恢复后它们会残留并妨碍迁移。"
            "请先删除并重建目标数据库（dropdb/createdb）再恢复。"
        )
    conn.close()
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={conn.settings_dict['NAME']}",
            str(dump),
        ],
        _pg_env(conn.settings_dict),
        "pg_restore 恢复数据库（已整体回滚，数据库保持恢复前的状态）",
    )


def _place_media(staged: dict[str, Path], media_root: Path) -> int:
    """Move the staged attachments into MEDIA_ROOT and delete files the backup does not have."""
    media_root.mkdir(parents=True, exist_ok=True)
    keep = set()
    for name, src in staged.items():
        if not name.startswith(MEDIA_PREFIX):
            continue
        dest = media_root / name[len(MEDIA_PREFIX) :]
        keep.add(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(src, dest)
        except OSError as e:
            if e.errno != errno.EXDEV:
                raise
            tmp = dest.with_name(f".{dest.name}.restoring")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
    removed = 0
    for path in _media_files(media_root).values():
        if path not in keep:
            path.unlink()
            removed += 1
    for folder, _dirs, _names in sorted(os.walk(media_root), key=lambda w: -len(w[0])):
        if Path(folder) != media_root and not os.listdir(folder):
            os.rmdir(folder)
    return removed


def restore_backup(path, *, yes=False, using=DEFAULT_DB_ALIAS, log=None) -> RestoreResult:
    started = time.monotonic()
    log = log or (lambda message: None)
    archive = Path(path).resolve()
    vendor = database_vendor(using)
    conn = connections[using]
    if conn.in_atomic_block:
        raise BackupError("不能在数据库事务中恢复备份。")
    if not archive.is_file():
        raise BackupError(f"备份文件 {archive} 不存在。")
    existing = {} if yes else data_rows(using)
    if existing:
        matters = existing.get(apps.get_model("petitions", "Matter")._meta.db_table, 0)
        users = existing.get(apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table, 0)
        raise BackupError(
            f"目标数据库已有数据（{len(existing)} 张表共 {sum(existing.values())} 行，"
            f"其中信访事项 {matters} 件、用户 {users} 个）。恢复会用备份整体替换现有数据和附件，"
            "无法撤销；确认无误后请加 --yes 重新运行。"
        )

    def check_manifest(manifest):
        if manifest["database"]["vendor"] != vendor:
            raise BackupError(
                f"备份来自 {VENDOR_LABEL[manifest['database']['vendor']]} 数据库，"
                f"当前配置的是 {VENDOR_LABEL[vendor]}：不支持跨数据库类型恢复。"
            )
        unknown, _ = schema_problems(manifest)
        if unknown:
            raise BackupError(
                "备份来自比当前程序更新的版本：其中的数据库迁移 "
                + "、".join(unknown[:10])
                + " 本程序不认识。请先升级信访通再恢复。"
            )

    target = sqlite_path(using) if vendor == "sqlite" else None
    stage_parent = target.parent if target else Path(settings.DATA_DIR)
    stage_parent.mkdir(parents=True, exist_ok=True)
    notes = []
    with tempfile.TemporaryDirectory(prefix=".xinfang-restore-", dir=stage_parent) as tmp:
        log("校验备份文件……")
        scan = _scan(archive, stage=Path(tmp), stage_media=True, on_manifest=check_manifest)
        manifest = scan.manifest
        if scan.problems:
            raise BackupError(_problem_text("备份文件校验失败，未做任何改动", scan.problems))
        staged_db = scan.staged[manifest["database"]["file"]]
        check = _check_sqlite_file if vendor == "sqlite" else _check_pg_dump
        problems = check(staged_db, manifest)
        if problems:
            raise BackupError(_problem_text("备份中的数据库与清单不符，未做任何改动", problems))
        if vendor == "sqlite":
            log(f"替换数据库文件 {target} ……")
            conn.close()
            if _replace_sqlite(target, staged_db):
                notes.append(f"原数据库文件 {target} 已损坏，已被备份替换。")
        else:
            log(f"pg_restore 恢复到数据库 {conn.settings_dict['NAME']} ……")
            _restore_postgresql(using, staged_db)
        log("恢复附件……")
        try:
            removed = _place_media(scan.staged, Path(settings.MEDIA_ROOT))
        except OSError as e:
            raise BackupError(
                f"数据库已恢复，但附件恢复失败：{e}。排除问题（如磁盘空间、目录权限）后请重新运行恢复。"
            ) from e

    log("核对恢复结果……")
    with open_cursor(using) as cur:
        existing_tables = _existing_tables(cur, vendor)
        counts = table_counts(cur, manifest["counts"].keys() & existing_tables)
        checksum = matters_checksum(cur)
    problems = _compare(manifest, counts, checksum)
    media_root = Path(settings.MEDIA_ROOT)
    for name, expected in manifest["files"].items():
        if name.startswith(MEDIA_PREFIX):
            file = media_root / name[len(MEDIA_PREFIX) :]
            if not file.is_file():
                problems.append(f"附件 {name} 恢复后不存在。")
            elif _sha256_file(file) != (expected["sha256"], expected["size"]):
                problems.append(f"附件 {name} 恢复后的校验和与清单不符。")
    if problems:
        raise BackupError(_problem_text("恢复后的核对发现差异", problems))
    _, missing = schema_problems(manifest)
    if missing:
        notes.append(
            f"备份的数据库结构比当前程序旧（缺少 {len(missing)} 个迁移），请运行 xinfang migrate 升级。"
        )
    return RestoreResult(manifest, time.monotonic() - started, removed, notes)
