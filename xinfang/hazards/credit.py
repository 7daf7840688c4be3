"""统一社会信用代码 (GB 32100-2015): 18 characters from a 31-symbol alphabet (digits and capitals
without I, O, Z, S, V), the last a check character over the first 17 with weights 3^i mod 31.
Plain Python."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]


def check_character(body: str) -> str:
    """The check character of the first 17 characters."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(body, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(text: str) -> str:
    """As typed (spaces, lower case, full-width characters) → the stored form; not checked."""
    out = []
    for ch in str(text or ""):
        if "\uff01" <= ch <= "\uff5e":  # full-width ASCII
            ch = chr(ord(ch) - 0xFEE0)
        if not ch.isspace() and ch not in "-－":
            out.append(ch.upper())
    return "".join(out)


def problem(code: str) -> str:
    """Why `code` (normalized) is not a valid 统一社会信用代码, in Chinese; "" when it is."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，「{code}」为{len(code)}位"
    wrong = sorted({c for c in code if c not in ALPHABET})
    if wrong:
        return f"统一社会信用代码不能含有「{'、'.join(wrong)}」（不使用I、O、Z、S、V）"
    if check_character(code[:17]) != code[17]:
        return "统一社会信用代码的校验位不正确，请核对"
    return ""


def is_valid(code: str) -> bool:
    return not problem(code)
