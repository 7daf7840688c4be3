"""Character accuracy of the letter OCR (Tesseract with its simplified Chinese model) on letters
typeset here and degraded like a scan: a slight rotation, speckle noise and blur.

    .venv/bin/python benchmarks/bench_ocr.py [--font PATH] [--seed 1]

Each letter is rendered with a CJK font installed on the machine (Noto Serif CJK by default, as
Debian's fonts-noto-cjk installs it; AR PL UKai is the handwriting-like alternative), recognised
through the product's own `xinfang.intelligence.ocr.recognise`, and compared with the text typed:
accuracy = 1 − edit distance ÷ characters (whitespace ignored). Plain Python, no database.
"""

import argparse
import io
import random
import statistics
import time

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from xinfang.intelligence import ocr

FONTS = {
    "宋体（Noto Serif CJK）": "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "黑体（Noto Sans CJK）": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "楷体（AR PL UKai）": "/usr/share/fonts/truetype/arphic/ukai.ttc",
}

LETTERS = [
    "尊敬的领导：\n我是湖滨社区3栋的居民。本小区物业公司未经业主大会同意，\n将地面停车费由每月100元提高到200元，多次协商无果。\n"
    "恳请有关部门责令物业恢复原收费标准，维护业主合法权益。\n此致\n敬礼！",
    "信访局：\n我们是青溪大道建筑工地的十二名工人，某建筑公司拖欠\n我们2024年下半年工资共计36万元，至今分文未付。\n"
    "我们多次到公司讨要，负责人一直推脱。请求督促公司\n尽快支付工资，让我们回家过年。",
    "反映问题：西岭镇石桥村村道自去年汛期冲毁后一直没有\n修复，村民出行和学生上学都要绕行五公里。村委会说\n"
    "没有资金，镇里也没有答复。请求尽快安排资金修复道路。",
    "市长您好：\n东湖街道某餐馆每天凌晨两点还在营业，油烟和噪声\n严重影响周边居民休息。我们向街道和环保部门反映过\n"
    "三次，没有任何改变。希望有关部门依法查处。",
]


def scanned(text: str, font_path: str, *, seed: int = 1, size: int = 40) -> bytes:
    """`text` typeset on white at about 150 dpi, rotated a little, speckled and blurred: a PNG."""
    rng = random.Random(seed)
    font = ImageFont.truetype(font_path, size)
    lines = text.splitlines()
    page = Image.new("L", (size * 28 + 160, len(lines) * int(size * 1.75) + 140), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((80, 70 + i * int(size * 1.75)), line, font=font, fill=rng.randint(0, 40))
    page = page.rotate(rng.uniform(-1.5, 1.5), expand=True, fillcolor=255, resample=Image.BICUBIC)
    pixels = page.load()
    width, height = page.size
    for _ in range(width * height // 80):
        pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 96, 160, 255))
    page = page.filter(ImageFilter.GaussianBlur(0.7))
    out = io.BytesIO()
    page.save(out, "PNG")
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--font", action="append", help="a font file (default: the three CJK fonts above)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    fonts = {path: path for path in args.font} if args.font else FONTS
    if not ocr.available():
        raise SystemExit("没有找到 tesseract：apt-get install tesseract-ocr tesseract-ocr-chi-sim")
    print(f"{'字体':<22}{'来信':>4}{'字数':>6}{'准确率':>9}{'用时(秒)':>10}")
    by_font = {}
    for name, path in fonts.items():
        for number, text in enumerate(LETTERS, 1):
            image = scanned(text, path, seed=args.seed + number)
            started = time.monotonic()
            found = ocr.recognise(image, "image/png", timeout=120)
            seconds = time.monotonic() - started
            accuracy = ocr.character_accuracy(text, found)
            by_font.setdefault(name, []).append(accuracy)
            chars = len("".join(text.split()))
            print(f"{name:<20}{number:>4}{chars:>8}{accuracy:>10.1%}{seconds:>10.1f}")
    print()
    for name, values in by_font.items():
        print(f"{name}: 平均字符准确率 {statistics.mean(values):.1%}")
    every = [v for values in by_font.values() for v in values]
    print(f"全部 {len(every)} 封：平均字符准确率 {statistics.mean(every):.1%}，最低 {min(every):.1%}")


if __name__ == "__main__":
    main()
