"""The category / unit classifier (xinfang/intelligence/classify.py), on petitions generated from the
project's own example petitions: no database, no shared data."""

import io
import json
import random
import re
from datetime import date

import numpy as np
import pytest

from xinfang.intelligence import classify, examples
from xinfang.petitions.categories import NATIONAL_CATEGORIES

TOPS = ["城乡建设", "劳动和社会保障", "环境保护", "教育文体", "交通运输"]
PLACES = [("东城区", "东湖街道", "湖滨社区"), ("南山区", "西岭镇", "松树村"), ("北岭县", "北岭镇", "渡口村")]


def generate(per_template: int, seed: int) -> list[classify.Row]:
    """Rows labelled with their first-level category, one per filling of each second-level template."""
    rng = random.Random(seed)
    rows = []
    for top in TOPS:
        for leaf in NATIONAL_CATEGORIES[top]:
            for template in examples.T.get(leaf, []):
                for _ in range(per_template):
                    district, township, village = rng.choice(PLACES)
                    slots = examples.Slots(
                        rng, place=village, township=township, district=district, received=date(2026, 3, 1)
                    )
                    title, text, request = examples.compose(slots, template)
                    rows.append(classify.Row(f"r{len(rows)}", title, text + request, top))
    return rows


@pytest.fixture(scope="module")
def corpus():
    return generate(per_template=6, seed=1), generate(per_template=2, seed=2)


@pytest.fixture(scope="module")
def model(corpus):
    train, _ = corpus
    return classify.TextClassifier().fit(
        [r.title for r in train], [r.text for r in train], [r.label for r in train]
    )


def test_learns_the_categories_of_unseen_petitions(model, corpus):
    _, test = corpus
    assert model.labels == sorted(TOPS)
    predicted = model.predict_many([r.title for r in test], [r.text for r in test])
    accuracy = np.mean([p == r.label for p, r in zip(predicted, test, strict=True)])
    assert accuracy >= 0.9
    # one at a time gives the same answers as the batch
    assert [model.predict(r.title, r.text) for r in test[:40]] == predicted[:40]


def test_confidences_sum_to_one_and_rank_the_suggestions(model, corpus):
    _, test = corpus
    for row in test[:30]:
        proba = model.proba(row.title, row.text)
        assert set(proba) == set(TOPS)
        assert sum(proba.values()) == pytest.approx(1.0)
        assert all(0.0 <= p <= 1.0 for p in proba.values())
        suggestions = model.suggest(row.title, row.text, top=3)
        assert len(suggestions) == 3
        assert [s.confidence for s in suggestions] == sorted(
            (s.confidence for s in suggestions), reverse=True
        )
        assert suggestions[0].label == model.predict(row.title, row.text)
        assert suggestions[0].confidence == pytest.approx(max(proba.values()))


def test_words_are_taken_from_the_petition_as_written(model):
    title = "小区物业擅自上调物业费"
    text = "尊敬的领导：您好！我们小区的物业公司未经业主大会表决，自２０２５年起将物业费由每平方米１．５元上调至２．８元，电梯经常停运。"
    suggestions = model.suggest(title, text, top=2)
    assert suggestions[0].label == "城乡建设"
    assert suggestions[0].words
    for suggestion in suggestions:
        for word in suggestion.words:
            assert len(word) >= 2
            assert word in title or word in text, word
    # no word repeats or contains another of the same suggestion, none is punctuation
    words = suggestions[0].words
    assert not any(a != b and a in b for a in words for b in words)
    assert all(classify.normalise(word).isalnum() for word in words)
    # an empty title or text still gets words from the other field, or none
    assert all(word in text for word in model.suggest("", text)[0].words)
    assert model.suggest("", "")[0].words == []


def test_digits_and_full_width_forms_map_back_to_the_original_characters():
    original = "尊敬的领导：您好！  ＡＢ楼１２３号\t漏水，谢谢！"
    normalised, spans = classify.normalise_with_spans(original)
    assert normalised == classify.normalise(original)
    assert "尊敬" not in normalised and "谢谢" not in normalised
    assert normalised.startswith("ab楼0号")
    assert len(spans) == len(normalised)
    digit = normalised.index("0")
    assert original[spans[digit][0] : spans[digit][1]] == "１２３"


@pytest.mark.parametrize("longest", [1, 2, 3])
@pytest.mark.parametrize("text", ["漏水", "a", "", "𠀀字 ＡＢ", "Ab1 2\u00a0c"])
def test_ngram_keys_decode_to_their_ngrams(text, longest):
    normalised = classify.normalise(text)
    keys = classify.ngram_keys(normalised, longest)
    sizes = range(1, longest + 1)
    expected = [normalised[i : i + n] for n in sizes for i in range(len(normalised) - n + 1)]
    assert [classify.key_text(int(k)) for k in keys] == expected


def test_text_takes_bigrams_and_title_trigrams(model):
    lengths = lambda block: {len(classify.key_text(int(k))) for k in block.keys}  # noqa: E731
    assert lengths(model.text_block) == {1, 2}
    assert lengths(model.title_block) == {1, 2, 3}
    # the explanation maps title trigrams back to the title as written
    trigram = next(
        t for k in model.title_block.keys if len(t := classify.key_text(int(k))) == 3 and t.isalnum()
    )
    assert (1, 1, 4) in model._sources(f"「{trigram}」", "").values()


def test_a_model_saved_before_the_ngram_lengths_were_settings_still_loads(corpus):
    """Format 1 took 1–3-grams of both fields and did not store the lengths."""
    train, test = corpus
    old = classify.TextClassifier(classify.Params(text_ngrams=3)).fit(
        [r.title for r in train], [r.text for r in train], [r.label for r in train]
    )
    arrays = dict(np.load(io.BytesIO(old.to_bytes()), allow_pickle=False))
    meta = json.loads(arrays["meta"].tobytes())
    meta["format"] = 1
    del meta["params"]["text_ngrams"], meta["params"]["title_ngrams"]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    loaded = classify.TextClassifier.from_bytes(buffer.getvalue())
    assert loaded.text_block.longest == loaded.title_block.longest == 3
    for row in test[:20]:
        assert loaded.proba(row.title, row.text) == old.proba(row.title, row.text)
    meta["format"] = 7
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with pytest.raises(ValueError, match="格式版本"):
        classify.TextClassifier.from_bytes(buffer.getvalue())


def test_round_trip_through_bytes_keeps_every_prediction(model, corpus):
    _, test = corpus
    data = model.to_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:  # loadable without pickle
        assert "weights" in arrays
    loaded = classify.TextClassifier.from_bytes(data)
    assert loaded.labels == model.labels
    titles, texts = [r.title for r in test], [r.text for r in test]
    assert loaded.predict_many(titles, texts) == model.predict_many(titles, texts)
    for row in test[:20]:
        assert loaded.proba(row.title, row.text) == model.proba(row.title, row.text)
        assert loaded.suggest(row.title, row.text) == model.suggest(row.title, row.text)


def test_tiny_classes_and_two_labels_do_not_break_fitting(corpus):
    train, _ = corpus
    rows = [r for r in train if r.label == "城乡建设"][:30] + [r for r in train if r.label == "环境保护"][:30]
    rows += [
        classify.Row("x1", "反映干部收受礼金", "某单位科长在办理营业执照过程中收受礼金。", "纪检监察"),
        classify.Row("x2", "婚姻登记窗口排长队", "婚姻登记处只开一个窗口，群众排队半天。", "民政"),
        classify.Row("x3", "敬老院伙食差", "敬老院伙食很差，老人吃不饱。", "民政"),
    ]
    model = classify.TextClassifier().fit(
        [r.title for r in rows], [r.text for r in rows], [r.label for r in rows]
    )
    assert model.labels == sorted({"城乡建设", "环境保护", "纪检监察", "民政"})
    proba = model.proba("干部收受礼金", "科长收受礼金和购物卡。")
    assert sum(proba.values()) == pytest.approx(1.0)
    assert proba["纪检监察"] > proba["城乡建设"]

    pair = [r for r in train if r.label == "交通运输"][:25] + [r for r in train if r.label == "教育文体"][:25]
    two = classify.TextClassifier().fit(
        [r.title for r in pair], [r.text for r in pair], [r.label for r in pair]
    )
    assert two.labels == ["交通运输", "教育文体"]
    assert sum(two.proba("", "").values()) == pytest.approx(1.0)  # empty input still answers


def test_one_label_is_refused():
    with pytest.raises(ValueError, match="两个不同的类别"):
        classify.TextClassifier().fit(["a", "b"], ["甲", "乙"], ["民政", "民政"])
    with pytest.raises(RuntimeError, match="尚未训练"):
        classify.TextClassifier().proba("标题", "正文")


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_read_rows_accepts_utf8_with_or_without_bom(tmp_path):
    body = (
        'id,title,text,label\n1,路灯不亮,"小区路灯坏了,晚上很黑",城乡建设\n2,噪声扰民,工地夜间施工,环境保护\n'
    )
    for name, encoding in [("plain.csv", "utf-8"), ("bom.csv", "utf-8-sig")]:
        rows = classify.read_rows(write(tmp_path / name, body, encoding))
        assert rows == [
            classify.Row("1", "路灯不亮", "小区路灯坏了,晚上很黑", "城乡建设"),
            classify.Row("2", "噪声扰民", "工地夜间施工", "环境保护"),
        ]


def test_read_rows_explains_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match="缺少列：label"):
        classify.read_rows(write(tmp_path / "a.csv", "id,title,text\n1,标题,正文\n"))
    with pytest.raises(ValueError, match="UTF-8"):
        classify.read_rows(write(tmp_path / "b.csv", "id,title,text,label\n1,标题,正文,民政\n", "gbk"))
    with pytest.raises(ValueError, match="第 3 行没有类别"):
        classify.read_rows(write(tmp_path / "c.csv", "id,title,text,label\n1,标题,正文,民政\n2,标题,正文,\n"))
    with pytest.raises(ValueError, match="没有数据行"):
        classify.read_rows(write(tmp_path / "d.csv", "id,title,text,label\n"))
    with pytest.raises(ValueError, match="找不到文件"):
        classify.read_rows(tmp_path / "missing.csv")


SUMMARY = re.compile(
    r"^macro_f1=\d\.\d{4} accuracy=\d\.\d{4} baseline_macro_f1=\d\.\d{4} ms_per_doc=\d+\.\d{2}$"
)


def test_evaluate_reports_model_and_baseline(corpus):
    train, test = corpus
    result = classify.evaluate(train, test)
    assert {"macro_f1", "accuracy", "baseline_macro_f1", "ms_per_doc", "per_label"} <= set(result)
    assert 0.0 <= result["baseline_macro_f1"] <= 1.0
    assert result["macro_f1"] >= 0.9
    assert result["ms_per_doc"] > 0
    assert set(result["per_label"]) == set(TOPS)
    assert sum(figures["support"] for figures in result["per_label"].values()) == len(test)
    assert SUMMARY.match(classify.summary_line(result))
    lines = classify.report_lines(result)
    assert any("城乡建设" in line for line in lines)


def test_cross_validate_pools_the_folds(corpus):
    train, _ = corpus
    rows = train[::3]
    result = classify.cross_validate(rows, folds=2, seed=3)
    assert len(result["folds"]) == 2
    assert sum(fold["test"] for fold in result["folds"]) == len(rows)
    assert sum(figures["support"] for figures in result["per_label"].values()) == len(rows)
    assert SUMMARY.match(classify.summary_line(result))


def test_score_gives_the_figures_a_model_version_records(model, corpus):
    _, test = corpus
    scores = classify.score(model, test[:50])
    assert {"macro_f1", "accuracy", "ms_per_doc", "per_label"} <= set(scores)
    assert scores["accuracy"] == pytest.approx(
        np.mean([model.predict(r.title, r.text) == r.label for r in test[:50]])
    )


def test_a_label_with_most_of_the_documents_keeps_its_words():
    """n-grams found in more than half the documents are dropped as too common, unless one label
    is that common: then they are the label's own words."""
    titles = ["工地拖欠工资"] * 14 + ["物业乱收停车费"] * 6
    texts = ["包工头拖欠农民工工资半年不发"] * 14 + ["物业公司擅自提高停车费"] * 6
    labels = ["工资"] * 14 + ["物业"] * 6
    model = classify.TextClassifier().fit(titles, texts, labels)
    assert model.predict("讨要工资", "包工头拖欠工资") == "工资"
    assert model.predict("停车费", "物业公司乱收停车费") == "物业"
