"""Division CSV import: encodings, validation with row-level reasons, all-or-nothing, re-import."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from xinfang.org.importers import (
    DivisionImportError,
    code_level,
    display_code,
    import_divisions,
    normalize_code,
    structural_parent,
)
from xinfang.org.models import Division

# Parents after children on purpose; short, 6-digit and 12-digit code forms mixed.
GOOD = """代码,名称,上级代码
990102003201,柳岸村,
990102003,白沙镇,
990102,溪东区,
9901,青溪市,
990000000000,示范省,
990103,溪西区,990100
990103001000,梧桐街道,990103000000
"""


def _codes():
    return dict(Division.objects.values_list("code", "name"))


def _errors(data):
    with pytest.raises(DivisionImportError) as info:
        import_divisions(data)
    return info.value.errors


def test_code_helpers():
    assert normalize_code("99") == "990000000000"
    assert normalize_code("990100") == "990100000000"
    assert normalize_code(" 990102003 ") == "990102003000"
    assert [code_level(normalize_code(c)) for c in ["99", "9901", "990102", "990102003", "990102003201"]] == [
        1,
        2,
        3,
        4,
        5,
    ]
    # a township directly under a city without counties: county digits are 00
    assert code_level("991900003000") == 4
    assert structural_parent("991900003000") == "991900000000"
    assert structural_parent("990000000000") is None
    assert display_code("990102000000") == "990102"
    assert display_code("990102003000") == "990102003"


@pytest.mark.django_db
def test_good_file_builds_tree_with_parents_after_children():
    result = import_divisions(GOOD.encode("utf-8"))
    assert (result.created, result.updated, result.unchanged) == (7, 0, 0)
    assert result.encoding == "UTF-8"
    village = Division.objects.get(code="990102003201")
    assert village.level == 5
    assert village.full_name() == "示范省青溪市溪东区白沙镇柳岸村"
    assert village.path == "/990000000000/990100000000/990102000000/990102003000/990102003201/"
    assert Division.objects.get(code="990103001000").parent.code == "990103000000"
    assert Division.objects.get(code="990000000000").parent is None
    assert dict(Division.objects.values_list("code", "level"))["990100000000"] == 2


@pytest.mark.django_db
def test_gbk_file():
    result = import_divisions(GOOD.encode("gbk"))
    assert result.encoding == "GBK/GB18030"
    assert _codes()["990102003000"] == "白沙镇"


@pytest.mark.django_db
def test_bom_file_and_english_headers():
    text = "code,name,parent_code\n99,示范省,\n9901,青溪市,\n"
    result = import_divisions(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert result.encoding == "UTF-8（带BOM）"
    assert _codes() == {"990000000000": "示范省", "990100000000": "青溪市"}


@pytest.mark.django_db
def test_bad_codes_are_reported_with_row_and_column():
    errors = _errors("代码,名称\n99,示范省\n99A1,青溪市\n99012,溪东区\n,无代码\n0012,零\n9902,\n".encode())
    described = [(e.row, e.column) for e in errors]
    assert described == [(3, "代码"), (4, "代码"), (5, "代码"), (6, "代码"), (7, "名称")]
    assert "半角数字" in errors[0].message
    assert "位数不对" in errors[1].message
    assert "不能为空" in errors[2].message
    assert str(errors[4]) == "第7行「名称」：不能为空"
    assert Division.objects.count() == 0


@pytest.mark.django_db
def test_unknown_parent():
    errors = _errors(
        "代码,名称,上级代码\n99,示范省,\n990102,溪东区,\n9901001,错,\n990103,溪西区,9902\n".encode()
    )
    assert [(e.row, e.column) for e in errors] == [(3, "上级代码"), (4, "代码"), (5, "上级代码")]
    assert "按代码结构推定" in errors[0].message and "990100000000" in errors[0].message
    assert "990200000000" in errors[2].message
    assert Division.objects.count() == 0


@pytest.mark.django_db
def test_parent_must_be_a_higher_level():
    errors = _errors("代码,名称,上级代码\n99,示范省,\n9901,青溪市,\n9902,白鹭市,9901\n".encode())
    assert [(e.row, e.column) for e in errors] == [(4, "上级代码")]
    assert "市级" in errors[0].message


@pytest.mark.django_db
def test_duplicate_code_in_file_also_in_different_forms():
    errors = _errors("代码,名称\n99,示范省\n9901,青溪市\n990100000000,青溪市\n990100,清溪市\n".encode())
    assert [(e.row, e.column) for e in errors] == [(4, "代码"), (5, "代码")]
    assert "与第3行的代码重复" in errors[0].message
    assert Division.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", "代码,名称,上级代码\n".encode(), b"\n\n"])
def test_empty_file(data):
    errors = _errors(data)
    assert len(errors) == 1 and errors[0].row == 0
    assert Division.objects.count() == 0


@pytest.mark.django_db
def test_missing_column():
    errors = _errors("编号,名称\n99,示范省\n".encode())
    assert [(e.row, e.column) for e in errors] == [(1, "代码")]


@pytest.mark.django_db
def test_reimport_updates_names_without_duplicates():
    import_divisions(GOOD.encode())
    ids = dict(Division.objects.values_list("code", "pk"))
    again = import_divisions(GOOD.encode())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    renamed = GOOD.replace("白沙镇", "白沙街道").replace("990103,溪西区,990100", "990103,溪西新区,")
    result = import_divisions(renamed.encode("gb18030"))
    assert (result.created, result.updated, result.unchanged) == (0, 2, 5)
    assert dict(Division.objects.values_list("code", "pk")) == ids
    assert _codes()["990102003000"] == "白沙街道"
    assert _codes()["990103000000"] == "溪西新区"


@pytest.mark.django_db
def test_reimport_matches_codes_entered_in_short_form_and_moves_subtrees():
    province = Division.objects.create(code="99", name="示范省", level=1)
    city = Division.objects.create(code="990100", name="青溪市", level=2, parent=province)
    other = Division.objects.create(code="990200", name="白鹭市", level=2, parent=province)
    county = Division.objects.create(code="990102", name="溪东区", level=3, parent=city)
    town = Division.objects.create(code="990102003", name="白沙镇", level=4, parent=county)
    # 溪东区 moves under 白鹭市; its township is not in the file and follows it.
    result = import_divisions("代码,名称,上级代码\n990100,青溪市,\n990102,溪东区,9902\n".encode())
    assert (result.created, result.updated, result.moved_descendants) == (0, 2, 1)
    assert Division.objects.count() == 5
    city.refresh_from_db()
    county.refresh_from_db()
    town.refresh_from_db()
    assert city.code == "990100000000"
    assert county.parent == other
    assert town.path == "/99/990200/990102000000/990102003/"
    assert Division.objects.filter(path__startswith=other.path).count() == 3


@pytest.mark.django_db
def test_all_or_nothing():
    import_divisions("代码,名称\n99,示范省\n9901,青溪市\n".encode())
    before = sorted(Division.objects.values_list("code", "name", "path"))
    bad = "代码,名称\n9901,改名的青溪市\n990102,溪东区\n990103,溪西区\n9901029,错误\n"
    errors = _errors(bad.encode())
    assert [(e.row, e.column) for e in errors] == [(5, "代码")]
    assert sorted(Division.objects.values_list("code", "name", "path")) == before


@pytest.mark.django_db
def test_dry_run_writes_nothing():
    result = import_divisions(GOOD.encode(), dry_run=True)
    assert result.created == 7 and result.dry_run
    assert Division.objects.count() == 0


@pytest.mark.django_db
def test_command(tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD.encode("gbk"))
    call_command("import_divisions", str(good))
    assert "新增7个" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("代码,名称\n99,示范省\n9901X,青溪市\n", encoding="utf-8")
    with pytest.raises(CommandError, match="共1处错误"):
        call_command("import_divisions", str(bad))
    assert "第3行「代码」" in capsys.readouterr().err
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("import_divisions", str(tmp_path / "missing.csv"))
