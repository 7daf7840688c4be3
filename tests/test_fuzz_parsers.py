"""Property-based fuzzing of the parsers that take user input: tracking codes, ID numbers, phones,
division codes and division CSV files. Any input gives either a value or a clear Chinese error,
never a crash, and what is accepted is what the rules say."""

import pytest
from django import forms
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from xinfang.org.importers import (
    CodeError,
    DivisionImportError,
    code_level,
    import_divisions,
    normalize_code,
    structural_parent,
)
from xinfang.petitions.forms import clean_id_number, clean_phone, id_number_is_valid
from xinfang.petitions.models import (
    CODE_ALPHABET,
    code_check_char,
    format_tracking_code,
    new_tracking_code,
    normalize_tracking_code,
)

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(ANY_TEXT)
def test_tracking_code_parser_never_crashes(text):
    code = normalize_tracking_code(text)
    assert code is None or (len(code) == 12 and code_check_char(code[:-1]) == code[-1])


@given(
    st.integers(min_value=0, max_value=11), st.sampled_from(CODE_ALPHABET), st.randoms(use_true_random=False)
)
def test_tracking_code_catches_every_single_substitution(position, replacement, rnd):
    code = "".join(rnd.choice(CODE_ALPHABET) for _ in range(11))
    code += code_check_char(code)
    if code[position] == replacement:
        return
    typo = code[:position] + replacement + code[position + 1 :]
    assert normalize_tracking_code(typo) is None


@given(st.integers(min_value=0, max_value=10), st.randoms(use_true_random=False))
def test_tracking_code_catches_neighbour_swaps(position, rnd):
    code = "".join(rnd.choice(CODE_ALPHABET) for _ in range(11))
    code += code_check_char(code)
    if code[position] == code[position + 1]:
        return
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert normalize_tracking_code(swapped) is None


def test_new_codes_round_trip_through_their_display_form():
    for _ in range(200):
        code = new_tracking_code()
        assert normalize_tracking_code(format_tracking_code(code).lower()) == code


@given(ANY_TEXT)
def test_id_number_cleaner_accepts_only_valid_numbers(text):
    try:
        value = clean_id_number(text)
    except forms.ValidationError as exc:
        assert "身份证号码" in str(exc)
    else:
        assert value == "" or id_number_is_valid(value)


@given(st.from_regex(r"\d{17}", fullmatch=True))
def test_exactly_one_check_character_is_valid(body):
    assert sum(id_number_is_valid(body + c) for c in "0123456789X") == 1


@given(ANY_TEXT)
def test_phone_cleaner_never_crashes(text):
    try:
        value = clean_phone(text)
    except forms.ValidationError as exc:
        assert "电话号码" in str(exc)
    else:
        assert value == "" or value[0] in "01"


@given(ANY_TEXT)
def test_division_code_parser(text):
    try:
        code = normalize_code(text)
    except CodeError as exc:
        assert str(exc)
    else:
        assert len(code) == 12 and code.isdigit()
        parent = structural_parent(code)
        assert parent is None or code_level(parent) < code_level(code)


ROW = st.tuples(
    st.one_of(st.from_regex(r"99\d{0,10}", fullmatch=True), ANY_TEXT),
    st.one_of(st.text(alphabet=CJK, min_size=1, max_size=8), ANY_TEXT),
    st.one_of(st.just(""), st.from_regex(r"99\d{2,4}", fullmatch=True), ANY_TEXT),
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=8), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
@example(rows=[("99", "\r", "")], encoding="utf-8")  # a stray carriage return once crashed the CSV reader
@example(rows=[("99", '"未闭合', "")], encoding="gb18030")
def test_division_import_is_all_or_nothing_on_any_file(rows, encoding):
    from xinfang.org.models import Division

    lines = ["代码,名称,上级代码"] + [
        ",".join(cell.replace(",", "，").replace("\n", " ") for cell in r) for r in rows
    ]
    text = "\n".join(lines)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return  # not representable in that encoding; a real file could not contain it either
    before = Division.objects.count()
    try:
        result = import_divisions(data)
    except DivisionImportError as exc:
        assert exc.errors and all(str(e) for e in exc.errors)
        assert Division.objects.count() == before  # nothing written
    else:
        assert result.rows == len(rows)
        for div in Division.objects.all():
            assert div.parent is None or div.path.startswith(div.parent.path)


# ---------------------------------------------------------------- 台账 import parsers


@given(st.one_of(ANY_TEXT, st.integers(), st.floats(allow_nan=True), st.none(), st.datetimes()))
@example("2026年2月30日")
@example("99999")
@example("2026-03-01 25:00")
def test_ledger_date_parser_returns_a_date_or_a_chinese_reason(value):
    from xinfang.ledger.values import parse_datetime

    try:
        parsed = parse_datetime(value)
    except ValueError as exc:
        assert any("\u4e00" <= c <= "\u9fa5" for c in str(exc)), exc
    else:
        assert parsed.tzinfo is None and (not isinstance(value, str) or 1000 <= parsed.year <= 9999)


@given(st.binary(max_size=3000))
@example(b"PK\x03\x04garbage")
@example(b"\xef\xbb\xbf\xff\xfe")
@example('编号,信访人\n"未闭合'.encode())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_ledger_reader_reads_or_refuses_any_bytes(tmp_path, data):
    from xinfang.core.tables import FileRefused, Limits, open_table

    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(data)
    try:
        table = open_table(path, Limits(max_bytes=10**6, max_unpacked=10**7, max_rows=1000))
        rows = list(table.rows())
    except FileRefused as exc:
        assert str(exc)
    else:
        assert rows and all(isinstance(number, int) and number >= 2 for number, _ in rows)


@pytest.mark.django_db
@given(st.lists(st.one_of(ANY_TEXT, st.integers(), st.floats(allow_nan=False), st.none()), max_size=16))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_ledger_row_checker_gives_a_matter_or_located_errors(world, cells):
    from xinfang.ledger.columns import COLUMNS
    from xinfang.ledger.rows import RowChecker

    checker = RowChecker(world.bob, {c.key: i for i, c in enumerate(COLUMNS)})
    row, errors = checker.check(7, cells)
    assert (row is None) == bool(errors)
    labels = {c.label for c in COLUMNS}
    assert all(e.row == 7 and e.column in labels and e.message for e in errors)


@pytest.mark.django_db
def test_a_nul_character_in_a_ledger_cell_is_dropped_not_sent_to_the_database(world):
    from xinfang.ledger.columns import COLUMNS
    from xinfang.ledger.rows import RowChecker

    checker = RowChecker(world.bob, {c.key: i for i, c in enumerate(COLUMNS)})
    cells = ["\x00"] * len(COLUMNS)  # PostgreSQL refuses NUL in any text it is given
    row, errors = checker.check(7, cells)
    assert row is None and errors and all(e.row == 7 and e.message for e in errors)
