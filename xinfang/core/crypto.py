"""Personal data at rest: SM4-GCM encryption and keyed SM3 search hashes (GM/T 0002, 0004).

Keys come from the environment or a key file, never from the database:
- XINFANG_DATA_KEYS = "k2:<base64 16 bytes>,k1:<base64 16 bytes>" — the first key encrypts, every
  listed key decrypts, so a key can be rotated while old rows are re-encrypted in the background
  (`xinfang keys rotate`, then `xinfang keys reencrypt`);
- XINFANG_INDEX_KEY = "<base64 32 bytes>" — the HMAC-SM3 key of the search hashes;
- or XINFANG_KEY_FILE, a JSON file {"data_keys": [[id, b64], ...], "index_key": b64}. Without
  either, the embedded set-up creates DATA_DIR/keys.json (mode 0600) on first use.

A ciphertext is the text "sm4gcm:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>"; the key id is bound
as associated data, so a ciphertext cannot be relabelled to another key. Files holding personal data
(xinfang.core.encrypted_files) are sealed the same way, as bytes: b"sm4gcm:<key id>:" followed by
nonce ‖ ciphertext ‖ tag, not Base64-encoded.
"""

import base64
import functools
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PREFIX = "sm4gcm"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


class CryptoKeyError(Exception):
    """Key material is missing, malformed or does not decrypt a value."""


@dataclass(frozen=True)
class Keyring:
    data_keys: tuple[tuple[str, bytes], ...]  # (id, 16-byte key); the first one encrypts
    index_key: bytes

    @property
    def current_id(self) -> str:
        return self.data_keys[0][0]

    def key(self, key_id: str) -> bytes:
        for kid, key in self.data_keys:
            if kid == key_id:
                return key
        raise CryptoKeyError(
            f"缺少编号为「{key_id}」的数据密钥，无法解密；请检查 XINFANG_DATA_KEYS 或密钥文件。"
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "data_keys": [[kid, base64.b64encode(k).decode()] for kid, k in self.data_keys],
                "index_key": base64.b64encode(self.index_key).decode(),
            },
            indent=2,
        )


def _b64(text: str, size: int, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise CryptoKeyError(f"{what}不是有效的 Base64 编码。") from exc
    if len(raw) != size:
        raise CryptoKeyError(f"{what}长度应为{size}字节，实际为{len(raw)}字节。")
    return raw


def parse_keyring(data_keys: list, index_key: str) -> Keyring:
    keys = []
    for kid, b64 in data_keys:
        if not KEY_ID_RE.match(kid):
            raise CryptoKeyError(f"密钥编号「{kid}」不合法：只能使用字母、数字、下划线和连字符。")
        keys.append((kid, _b64(b64, 16, f"数据密钥「{kid}」")))
    if not keys:
        raise CryptoKeyError("没有配置数据密钥。")
    if len({kid for kid, _ in keys}) != len(keys):
        raise CryptoKeyError("数据密钥编号重复。")
    return Keyring(tuple(keys), _b64(index_key, 32, "检索密钥"))


def new_keyring() -> Keyring:
    return Keyring(((f"k{secrets.token_hex(3)}", secrets.token_bytes(16)),), secrets.token_bytes(32))


def load_keyring(environ=os.environ, default_file: Path | None = None) -> Keyring:
    if environ.get("XINFANG_DATA_KEYS"):
        pairs = [item.split(":", 1) for item in environ["XINFANG_DATA_KEYS"].split(",") if item.strip()]
        if any(len(p) != 2 for p in pairs):
            raise CryptoKeyError("XINFANG_DATA_KEYS 的格式应为「编号:Base64密钥,编号:Base64密钥」。")
        if not environ.get("XINFANG_INDEX_KEY"):
            raise CryptoKeyError("设置了 XINFANG_DATA_KEYS 时必须同时设置 XINFANG_INDEX_KEY。")
        return parse_keyring([(k.strip(), v) for k, v in pairs], environ["XINFANG_INDEX_KEY"])
    path = Path(environ["XINFANG_KEY_FILE"]) if environ.get("XINFANG_KEY_FILE") else default_file
    if path is None:
        raise CryptoKeyError("没有配置个人信息加密密钥（XINFANG_DATA_KEYS 或 XINFANG_KEY_FILE）。")
    if not path.exists():
        if environ.get("XINFANG_KEY_FILE"):
            raise CryptoKeyError(f"密钥文件 {path} 不存在。")
        write_key_file(path, new_keyring())
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return parse_keyring(data["data_keys"], data["index_key"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CryptoKeyError(f"无法读取密钥文件 {path}：{exc}") from exc


def write_key_file(path: Path, keyring: Keyring):
    """Write atomically with owner-only permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(keyring.to_json())
    os.replace(tmp, path)


_lock = threading.Lock()
_keyring: Keyring | None = None


def keyring() -> Keyring:
    global _keyring
    if _keyring is None:
        with _lock:
            if _keyring is None:
                from django.conf import settings

                _keyring = load_keyring(default_file=Path(settings.DATA_DIR) / "keys.json")
    return _keyring


def reset_keyring(ring: Keyring | None = None):
    """Use `ring` from now on (tests, rotation); None re-reads the configuration."""
    global _keyring
    _keyring = ring


@functools.lru_cache(maxsize=16)
def _sm4(key: bytes):
    """One algorithm object per key: building it (and its key checks) dominated bulk encryption."""
    return algorithms.SM4(key)


def _seal(data: bytes, ring: Keyring) -> tuple[str, bytes]:
    """(key id, nonce ‖ ciphertext ‖ tag) of ``data`` under the current key."""
    kid = ring.current_id
    nonce = secrets.token_bytes(NONCE_BYTES)
    enc = Cipher(_sm4(ring.key(kid)), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(kid.encode())
    body = enc.update(data) + enc.finalize()
    return kid, nonce + body + enc.tag


def _unseal(kid: str, raw: bytes, ring: Keyring) -> bytes:
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise CryptoKeyError("密文格式不正确。")
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    dec = Cipher(_sm4(ring.key(kid)), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(kid.encode())
    try:
        return dec.update(body) + dec.finalize()
    except InvalidTag as exc:
        raise CryptoKeyError("密文校验失败：数据被篡改或密钥不正确。") from exc


def encrypt(plaintext: str, ring: Keyring | None = None) -> str:
    kid, raw = _seal(plaintext.encode("utf-8"), ring or keyring())
    return f"{PREFIX}:{kid}:{base64.b64encode(raw).decode()}"


def is_ciphertext(value: str) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + ":")


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1]


def decrypt(token: str, ring: Keyring | None = None) -> str:
    try:
        _, kid, b64 = token.split(":", 2)
        raw = base64.b64decode(b64, validate=True)
    except ValueError as exc:
        raise CryptoKeyError("密文格式不正确。") from exc
    return _unseal(kid, raw, ring or keyring()).decode("utf-8")


# ---------------------------------------------------------------- file contents

FILE_PREFIX = PREFIX.encode() + b":"


def encrypt_bytes(data: bytes, ring: Keyring | None = None) -> bytes:
    kid, raw = _seal(data, ring or keyring())
    return FILE_PREFIX + kid.encode() + b":" + raw


def is_encrypted_bytes(data: bytes) -> bool:
    return data.startswith(FILE_PREFIX)


def key_id_of_bytes(data: bytes) -> str:
    """The key id of sealed content (its first bytes are enough)."""
    return data[len(FILE_PREFIX) :].split(b":", 1)[0].decode("ascii", "replace")


def decrypt_bytes(data: bytes, ring: Keyring | None = None) -> bytes:
    if not is_encrypted_bytes(data):
        raise CryptoKeyError("密文格式不正确。")
    kid, sep, raw = data[len(FILE_PREFIX) :].partition(b":")
    if not sep or not KEY_ID_RE.match(kid.decode("ascii", "replace")):
        raise CryptoKeyError("密文格式不正确。")
    return _unseal(kid.decode("ascii"), raw, ring or keyring())


def search_hash(kind: str, normalized: str, ring: Keyring | None = None) -> str:
    """Keyed SM3 hash for exact-match search; `kind` keeps an ID number and a phone apart."""
    if not normalized:
        return ""
    ring = ring or keyring()
    mac = hmac.HMAC(ring.index_key, hashes.SM3())
    mac.update(f"{kind}\x00{normalized}".encode())
    return mac.finalize().hex()


# ---------------------------------------------------------------- masking


def sm3_hex(data: bytes) -> str:
    """Plain SM3 digest (GM/T 0004), hex: for values that are random already, such as API tokens."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def mask_name(name: str) -> str:
    """张三 → 张*；欧阳娜娜 → 欧***"""
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_id_number(value: str) -> str:
    """110101199003077774 → 110***********7774"""
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678"""
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)


def mask_address(value: str) -> str:
    """Keep the first six characters (usually district and street), hide the rest."""
    return value[:6] + "*" * min(6, max(0, len(value) - 6)) if value else ""
