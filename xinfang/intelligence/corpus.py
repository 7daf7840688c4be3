"""The labelled corpus of the default (cold-start) model: example petitions the project wrote itself.

They are the per-category templates of examples.py (from which the demo city's matters are written
too) filled with invented places, amounts and names. A deployment's first model is trained on these; once it has its own history
`xinfang model train` replaces it. The labels are second-level category names of the national scheme.
"""

import random
from datetime import date, timedelta

from . import examples

# Invented places: (district, township, village or community).
PLACES = [
    ("东城区", "滨河街道", "和平社区"),
    ("西山区", "凤凰街道", "杏林社区"),
    ("南湖区", "南湖镇", "莲塘村"),
    ("北岭县", "北岭镇", "松树村"),
    ("江口县", "江口乡", "渡口村"),
    ("高新区", "科创街道", "云谷社区"),
]
CORPUS_NOTE = "默认模型：用项目自写的示例信访件训练，仅供冷启动；积累本地历史事项后请重新训练。"


def default_corpus(per_template: int = 8, seed: int = 2026) -> list[tuple[str, str, str]]:
    """(title, text, second-level category) rows, `per_template` fillings of every template."""
    rng = random.Random(seed)
    templates = []
    for leaf, items in examples.T.items():
        templates += [(leaf, t, "person") for t in items]
    for leaf, items in examples.ACCUSATIONS.items():
        templates += [(leaf, t, "anonymous") for t in items]
    for items in examples.ADVICE.values():
        templates += [(leaf, tuple(t), "person") for leaf, *t in items]
    rows = []
    for leaf, template, opening in templates:
        for _ in range(per_template):
            district, township, village = rng.choice(PLACES)
            slots = examples.Slots(
                rng,
                place=village,
                township=township,
                district=district,
                received=date(2026, 1, 1) + timedelta(days=rng.randint(0, 365)),
            )
            title, text, request = examples.compose(slots, template, opening_kind=opening)
            rows.append((title, f"{text}{request}", leaf))
    return rows
