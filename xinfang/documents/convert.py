""".docx → PDF with LibreOffice headless, PDF → PNG pages with poppler's pdftoppm.

Each conversion runs in a temporary directory with its own LibreOffice profile
(-env:UserInstallation), so parallel conversions (threads, workers, test processes) do not fight
over one profile's lock; the profile is thrown away with the directory.

Two adjustments make LibreOffice print a 公文 as Word does, without touching the .docx handed out:
- fonts: the 公文 fonts (仿宋_GB2312, 方正小标宋简体, 黑体, 楷体_GB2312, 宋体) are commercial and
  absent on a server; a fontconfig file given to soffice alone maps them to the free ones closest in
  style (Noto Serif/Sans CJK SC from fonts-noto-cjk, AR PL UKai from fonts-arphic-ukai) instead of
  fontconfig's default sans-serif for every one of them;
- the character grid: LibreOffice 7.4 lays a character wider than a grid cell over two cells,
  and a 3号 character (16 pt) is a little wider than the 28-per-line cell (15.8 pt), which halves
  the line. For LibreOffice the character grid becomes a line grid (the 22 lines stay) and the text
  is condensed by the difference, which gives Word's 28 characters per line.
"""

import io
import math
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

SOFFICE_NAMES = ("soffice", "libreoffice")
TIMEOUT_SECONDS = 120
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# font the document names -> (free families to use instead, in order; bold?)
FONT_SUBSTITUTES = {
    "仿宋_GB2312": (("Noto Serif CJK SC",), False),
    "仿宋": (("Noto Serif CJK SC",), False),
    "方正小标宋简体": (("Noto Serif CJK SC",), True),
    "黑体": (("Noto Sans CJK SC",), False),
    "楷体_GB2312": (("AR PL UKai CN", "Noto Serif CJK SC"), False),
    "楷体": (("AR PL UKai CN", "Noto Serif CJK SC"), False),
    "宋体": (("Noto Serif CJK SC",), False),
}


class ConversionError(RuntimeError):
    pass


def soffice_path() -> str | None:
    """The LibreOffice executable, or None when it is not installed."""
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def to_pdf(docx_bytes: bytes, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The PDF of a .docx as LibreOffice lays it out."""
    soffice = soffice_path()
    if soffice is None:
        raise ConversionError("未安装 LibreOffice（soffice），无法生成 PDF：请安装 libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory(prefix="xinfang-pdf-") as tmp:
        work = Path(tmp)
        source = work / "report.docx"
        source.write_bytes(_for_libreoffice(docx_bytes))
        fonts_conf = work / "fonts.conf"
        fonts_conf.write_text(_fontconfig(), encoding="utf-8")
        env = {**os.environ, "FONTCONFIG_FILE": str(fonts_conf), "HOME": str(work)}
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=timeout, cwd=work, env=env, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ConversionError(f"LibreOffice 转换 PDF 超时（{timeout:g} 秒）") from exc
        target = work / "out" / "report.pdf"
        if done.returncode != 0 or not target.exists():
            detail = (done.stderr or done.stdout).decode(errors="replace").strip()[-500:]
            raise ConversionError(f"LibreOffice 转换 PDF 失败（退出码 {done.returncode}）：{detail}")
        return target.read_bytes()


def _fontconfig() -> str:
    """A fontconfig file: the system's configuration plus FONT_SUBSTITUTES, ahead of its rules."""
    rules = []
    for name, (families, bold) in FONT_SUBSTITUTES.items():
        prefer = "".join(f"<string>{escape(f)}</string>" for f in families)
        weight = '<edit name="weight" mode="assign"><const>bold</const></edit>' if bold else ""
        rules.append(
            f'<match target="pattern"><test name="family"><string>{escape(name)}</string></test>'
            f'<edit name="family" mode="prepend" binding="strong">{prefer}</edit>{weight}</match>'
        )
    return (
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd"><fontconfig>'
        + "".join(rules)
        + '<include ignore_missing="yes">/etc/fonts/fonts.conf</include></fontconfig>'
    )


def _for_libreoffice(docx_bytes: bytes) -> bytes:
    """The .docx with a line grid and condensed text in place of a character grid whose cells are
    narrower than the body text (see the module's docstring); other documents unchanged."""
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as src:
        document = etree.fromstring(src.read("word/document.xml"))
        grids = [
            g
            for g in document.iter(f"{{{W}}}docGrid")
            if g.get(f"{{{W}}}type") == "linesAndChars" and int(g.get(f"{{{W}}}charSpace", "0")) < 0
        ]
        if not grids:
            return docx_bytes
        styles = etree.fromstring(src.read("word/styles.xml"))
        normal = styles.find(f"{{{W}}}style[@{{{W}}}styleId='Normal']")
        rpr = normal.find(f"{{{W}}}rPr") if normal is not None else None
        size = rpr.find(f"{{{W}}}sz") if rpr is not None else None
        if size is None:
            return docx_bytes
        points = int(size.get(f"{{{W}}}val")) / 2
        pitch = points + min(int(g.get(f"{{{W}}}charSpace")) for g in grids) / 4096
        condense = math.ceil((points - pitch) * 20)  # in twentieths of a point
        for grid in grids:
            grid.set(f"{{{W}}}type", "lines")
            del grid.attrib[f"{{{W}}}charSpace"]
        for old in rpr.findall(f"{{{W}}}spacing"):
            rpr.remove(old)
        spacing = etree.Element(f"{{{W}}}spacing")
        spacing.set(f"{{{W}}}val", str(-condense))
        after = [rpr.find(f"{{{W}}}{tag}") for tag in ("w", "kern", "position", "sz")]
        anchor = next((el for el in after if el is not None), None)
        if anchor is not None:
            anchor.addprevious(spacing)
        else:
            rpr.append(spacing)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename == "word/document.xml":
                    data = etree.tostring(document, xml_declaration=True, encoding="UTF-8", standalone=True)
                elif item.filename == "word/styles.xml":
                    data = etree.tostring(styles, xml_declaration=True, encoding="UTF-8", standalone=True)
                dst.writestr(item, data)
        return out.getvalue()


def pdf_pages_png(pdf_bytes: bytes, dpi: int = 96, timeout: float = TIMEOUT_SECONDS) -> list[bytes]:
    """Every page of a PDF as PNG bytes at `dpi`, in page order."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise ConversionError("未安装 pdftoppm，无法将 PDF 转为图片：请安装 poppler-utils")
    with tempfile.TemporaryDirectory(prefix="xinfang-png-") as tmp:
        work = Path(tmp)
        (work / "in.pdf").write_bytes(pdf_bytes)
        try:
            done = subprocess.run(
                [pdftoppm, "-png", "-r", str(int(dpi)), str(work / "in.pdf"), str(work / "page")],
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ConversionError(f"pdftoppm 转换超时（{timeout:g} 秒）") from exc
        if done.returncode != 0:
            detail = done.stderr.decode(errors="replace").strip()[-500:]
            raise ConversionError(f"pdftoppm 转换失败（退出码 {done.returncode}）：{detail}")
        # page-1.png … page-10.png (zero-padded to the page count's width): sort by the number.
        pages = sorted(work.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        return [p.read_bytes() for p in pages]
