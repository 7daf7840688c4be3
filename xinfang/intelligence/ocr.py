"""Text of a scanned letter, recognised on this machine by the Tesseract engine with its simplified
Chinese model (Debian's tesseract-ocr and tesseract-ocr-chi-sim; nothing goes over the network).
Plain Python: the engine runs as a subprocess with a time limit, a PDF is first turned into page
images by poppler's pdftoppm.

The engine writes a space between Chinese characters; those spaces are removed, line breaks kept.
What comes out is a draft for the registrar to read against the scan and correct, not a record.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ENGINE = "tesseract"
PDF_TO_IMAGES = "pdftoppm"
MODEL = "chi_sim"
PAGE_SEGMENTATION = "6"  # one block of text: a letter's body, read line by line
PDF_DPI = 300
MAX_PAGES = 10

_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_SPACE_IN_CHINESE = re.compile(rf"(?<=[{_CJK}])[ \t]+|[ \t]+(?=[{_CJK}])")
# The model often reads a Chinese full-width mark as its ASCII twin; after a Chinese character it
# is the full-width one.
_FULL_WIDTH = {":": "：", ",": "，", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）"}
_HALF_AFTER_CHINESE = re.compile(rf"(?<=[{_CJK}])[:,;!?()]")


class OcrError(Exception):
    """The engine is missing, failed or ran out of time (the message is for the page, in Chinese)."""


def available() -> bool:
    return shutil.which(ENGINE) is not None


def tidy(text: str) -> str:
    lines = [_SPACE_IN_CHINESE.sub("", line).strip() for line in text.splitlines()]
    lines = [_HALF_AFTER_CHINESE.sub(lambda m: _FULL_WIDTH[m.group()], line) for line in lines]
    return "\n".join(line for line in lines if line)


def _run(command: list[str], deadline: float) -> subprocess.CompletedProcess:
    left = deadline - time.monotonic()
    if left <= 0:
        raise OcrError("文字识别超时，请人工录入或换一张更清晰的扫描件。")
    try:
        done = subprocess.run(command, capture_output=True, timeout=left, check=False)
    except subprocess.TimeoutExpired:
        raise OcrError("文字识别超时，请人工录入或换一张更清晰的扫描件。") from None
    except FileNotFoundError:
        raise OcrError("服务器未安装文字识别引擎（tesseract-ocr、tesseract-ocr-chi-sim）。") from None
    if done.returncode != 0:
        raise OcrError("文字识别失败：扫描件无法读取。")
    return done


def _image_text(path: Path, deadline: float) -> str:
    command = [ENGINE, str(path), "stdout", "-l", MODEL, "--psm", PAGE_SEGMENTATION]
    return _run(command, deadline).stdout.decode("utf-8", "replace")


def recognise(data: bytes, content_type: str, *, timeout: float = 60.0) -> str:
    """The text of an image (PNG, JPEG …) or a PDF of up to MAX_PAGES pages, within `timeout`
    seconds in all. Raises OcrError."""
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="xinfang-ocr-") as folder:
        folder = Path(folder)
        source = folder / "scan"
        source.write_bytes(data)
        if content_type == "application/pdf":
            command = [PDF_TO_IMAGES, "-r", str(PDF_DPI), "-gray", "-png", "-l", str(MAX_PAGES)]
            _run([*command, str(source), str(folder / "page")], deadline)
            pages = sorted(folder.glob("page*.png"))
        else:
            pages = [source]
        return tidy("\n".join(_image_text(page, deadline) for page in pages))


def character_accuracy(reference: str, recognised: str) -> float:
    """1 − (edit distance ÷ length of the reference), whitespace ignored; 0 at worst."""
    ref = "".join(reference.split())
    hyp = "".join(recognised.split())
    if not ref:
        return 1.0 if not hyp else 0.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return max(0.0, 1 - previous[-1] / len(ref))
