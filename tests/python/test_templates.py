"""Templates as a submitter gets them: `zlbd template --all` writes one pre-filled form per roster
entity; a clerk fills the input cells (openpyxl) and the form ingests with zero rejects; the data
validation in the workbook refuses values outside the catalog's rules."""
import csv
import json
import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import BIN, REPO, connect

PIPELINE = REPO / "pipelines/shandong"
ROSTER = PIPELINE / "roster"


def roster(name):
    with open(ROSTER / name, encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def zlbd(*args):
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    out = tmp_path_factory.mktemp("templates")
    ran = zlbd("template", "--pipeline", str(PIPELINE), "--all", "--out", str(out))
    assert ran.returncode == 0, ran.stderr
    return out


def info(workbook):
    sheet = workbook["基本信息"]
    return {row[0].value: row[1] for row in sheet.iter_rows(min_row=1) if row[0].value}


def catalog_codes(workbook):
    """Indicator name → code, from the 填表说明 sheet."""
    sheet = workbook["填表说明"]
    codes = {}
    for row in sheet.iter_rows(values_only=True):
        if row and row[0] and len(row) > 1 and row[1] and str(row[0])[:1] in "EPI" and str(row[0])[1:].isdigit():
            codes[row[1]] = row[0]
    return codes


def test_one_prefilled_form_per_roster_entity(templates):
    names = {p.name for p in templates.iterdir()}
    enterprises, parks, cities = roster("enterprises.csv"), roster("parks.csv"), roster("cities.csv")
    assert "企业报表模板.xlsx" in names and "园区报表模板.xlsx" in names
    assert len(names) == 2 + len(enterprises) + len(parks) + len(cities)
    enterprise = enterprises[0]
    workbook = openpyxl.load_workbook(templates / f"企业报表模板_{enterprise['enterprise_name']}.xlsx")
    fields = info(workbook)
    assert fields["企业名称"].value == enterprise["enterprise_name"]
    assert fields["统一社会信用代码"].value == enterprise["uscc"]
    city = {c["city_code"]: c["city_name"] for c in cities}[enterprise["city_code"]]
    assert fields["所属地市"].value == city
    assert fields["所属行业"].value == enterprise["industry_code"]
    assert fields["报表版本"].value == 1
    # Identity locked, contact fields open.
    assert fields["统一社会信用代码"].protection.locked
    assert not fields["填报人"].protection.locked
    park = parks[0]
    fields = info(openpyxl.load_workbook(templates / f"园区报表模板_{park['park_name']}.xlsx"))
    assert fields["园区代码"].value == park["park_id"]


def test_codes_typed_into_a_blank_template_stay_text(templates, tmp_path):
    """An all-digit USCC typed into a General cell becomes a number Excel rounds to 15 digits;
    the blank templates format the code cells as text. A code that arrived as a number is
    rejected with a message that says so, not with a check digit to change."""
    enterprise = openpyxl.load_workbook(templates / "企业报表模板.xlsx")
    fields = info(enterprise)
    for label in ["统一社会信用代码", "联系电话"]:
        assert fields[label].number_format == "@", label
        assert not fields[label].protection.locked, label
    members = openpyxl.load_workbook(templates / "园区报表模板.xlsx")["入园企业名单"]
    assert members.cell(2, 3).number_format == "@"

    fields = info(enterprise)
    fields["企业名称"].value = "数字代码企业"
    fields["统一社会信用代码"].value = 913701001630100022  # as Excel stores it in a General cell
    fields["统一社会信用代码"].number_format = "General"
    fields["所属地市"].value = "济南市"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    enterprise.save(inbox / "数字代码.xlsx")
    ran = zlbd("validate", "--pipeline", str(PIPELINE), "--inbox", str(inbox),
               "--out", str(tmp_path / "feedback"))
    assert ran.returncode == 3, ran.stderr
    summary = openpyxl.load_workbook(tmp_path / "feedback/汇总.xlsx").worksheets[0]
    reasons = [str(cell) for row in summary.iter_rows(values_only=True) for cell in row if cell]
    assert any("数字格式" in reason and "文本格式" in reason for reason in reasons), reasons


def test_no_made_up_names_and_an_instructions_sheet(templates):
    for path in sorted(templates.iterdir())[:40]:
        workbook = openpyxl.load_workbook(path)
        assert "填表说明" in workbook.sheetnames, path.name
        text = " ".join(str(cell.value) for sheet in workbook for row in sheet.iter_rows()
                        for cell in row if cell.value is not None)
        for name in ("张三", "李四", "王五"):
            assert name not in text, (path.name, name)
    instructions = " ".join(str(c.value) for row in openpyxl.load_workbook(
        templates / "企业报表模板.xlsx")["填表说明"].iter_rows() for c in row if c.value)
    assert "缺失" in instructions and "留空" in instructions and "万元" in instructions
    assert "营业收入" in instructions and "质量安全事故数" in instructions


def validations(sheet):
    """(row → data validation) of the year cells."""
    by_row = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            for row in range(cell_range.min_row, cell_range.max_row + 1):
                by_row[row] = validation
    return by_row


def allowed(validation, value):
    """Excel's check of one typed value against a validation (the types zlbd writes)."""
    if validation.type == "list":
        return str(value) in validation.formula1.strip('"').split(",")
    if not isinstance(value, (int, float)):
        return False
    if validation.type == "whole" and value != int(value):
        return False
    low = float(validation.formula1) if validation.formula1 is not None else None
    high = float(validation.formula2) if validation.formula2 is not None else None
    return {
        "between": lambda: low <= value <= high,
        "greaterThanOrEqual": lambda: value >= low,
        "lessThanOrEqual": lambda: value <= low,
    }[validation.operator or "between"]()


def test_validation_follows_the_catalog_and_refuses_bad_values(templates):
    workbook = openpyxl.load_workbook(templates / "企业报表模板.xlsx")
    sheet = workbook["质量指标"]
    assert sheet.protection.sheet, "the indicator sheet is protected"
    codes = catalog_codes(workbook)
    rows = {codes[sheet.cell(row, 2).value]: row for row in range(1, sheet.max_row + 1)
            if sheet.cell(row, 2).value in codes}
    assert len(rows) == 18
    by_row = validations(sheet)
    rule = {code: by_row[row] for code, row in rows.items()}
    # Kinds and ranges from the catalog.
    # OOXML's default operator is between (written as no attribute).
    assert (rule["E06"].type, rule["E06"].operator or "between", rule["E06"].formula1, rule["E06"].formula2) == ("decimal", "between", "0", "100")
    assert (rule["E09"].type, rule["E09"].operator or "between") == ("decimal", "between")
    assert (rule["E01"].type, rule["E01"].operator, rule["E01"].formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert (rule["E10"].type, rule["E10"].operator, rule["E10"].formula1) == ("whole", "greaterThanOrEqual", "0")
    assert rule["E14"].type == "list" and rule["E14"].formula1 == '"是,否"'
    for validation in rule.values():
        assert validation.showErrorMessage and validation.errorStyle in (None, "stop")
        assert validation.error and "留空" in validation.error
    # A value outside a rule is refused; a good one passes.
    assert not allowed(rule["E06"], 103) and allowed(rule["E06"], 95.2)
    assert not allowed(rule["E01"], -5) and allowed(rule["E01"], 1234.5)
    assert not allowed(rule["E10"], 2.5) and not allowed(rule["E10"], -1) and allowed(rule["E10"], 3)
    assert not allowed(rule["E14"], "有") and allowed(rule["E14"], "是")
    assert not allowed(rule["E10"], "无"), "a count cannot be written 无: 0 or blank"
    # Input cells open, labels locked.
    year_cell = sheet.cell(rows["E01"], 4)
    assert not year_cell.protection.locked
    assert sheet.cell(rows["E01"], 2).protection.locked


def test_the_identity_is_picked_and_every_input_cell_prompts(templates):
    """A blank form's 所属地市 is a dropdown of the roster's cities and 填报日期 takes dates only
    (an unreadable 2022年1月 is refused where it is typed); a pre-filled
    form's city stays locked without a list. Each input cell says what it takes when selected."""
    cities = [row["city_name"] for row in roster("cities.csv")]
    blank = openpyxl.load_workbook(templates / "企业报表模板.xlsx")
    labels = {label: cell.row for label, cell in info(blank).items()}
    by_row = validations(blank["基本信息"])
    city = by_row[labels["所属地市"]]
    assert city.type == "list" and city.formula1.strip('"').split(",") == cities
    assert allowed(city, cities[0]) and not allowed(city, "济南")
    date = by_row[labels["填报日期"]]
    assert date.type == "date" and (date.operator or "between") == "between"
    assert int(date.formula1) <= 44576 <= int(date.formula2), "2022-01-15 is a date it takes"
    assert not blank["基本信息"].cell(labels["所属地市"], 2).protection.locked

    prefilled = next(templates.glob("企业报表模板_*.xlsx"))
    workbook = openpyxl.load_workbook(prefilled)
    labels = {label: cell.row for label, cell in info(workbook).items()}
    by_row = validations(workbook["基本信息"])
    assert labels["所属地市"] not in by_row
    assert workbook["基本信息"].cell(labels["所属地市"], 2).protection.locked
    assert by_row[labels["填报日期"]].type == "date"
    for sheet in (blank["基本信息"], blank["质量指标"], workbook["质量指标"]):
        for validation in sheet.data_validations.dataValidation:
            assert validation.showInputMessage and validation.prompt, validation.sqref
            assert validation.promptTitle and validation.promptTitle in validation.prompt


def fill(workbook, values_by_code):
    """Types values into every input cell of the indicator sheets, as a clerk does."""
    codes = catalog_codes(workbook)
    for sheet in workbook:
        if sheet.title in ("基本信息", "填表说明", "入园企业名单"):
            continue
        by_row = validations(sheet)
        for row, validation in by_row.items():
            code = codes[sheet.cell(row, 2).value]
            for col in range(4, 7):
                value = values_by_code[code]
                assert allowed(validation, value), (sheet.title, row, code, value)
                sheet.cell(row, col).value = value
    fields = info(workbook)
    fields["填报人"].value = "测试填报人"
    fields["联系电话"].value = "0531-00000000"


ENTERPRISE = {"E01": 20000, "E02": 1500.5, "E03": 500, "E04": 2.5, "E05": 3000, "E06": 96.5,
              "E07": 98.2, "E08": 1.2, "E09": 88, "E10": 3, "E11": 2, "E12": 15, "E13": 4,
              "E14": "是", "E15": 1, "E16": 6, "E17": 97, "E18": 0}
PARK = {"P01": 150000, "P02": 120, "P03": 60, "P04": 80, "P05": 95.5, "P06": 3, "P07": 12,
        "P08": 9, "P09": 40, "P10": 8000}
INDUSTRY = {"I01": 50, "I02": 300000, "I03": 20000, "I04": 9000, "I05": 95, "I06": 1.4,
            "I07": 6, "I08": 4, "I09": 30, "I10": 82}


def test_filled_prefilled_templates_ingest_with_zero_rejects(templates, tmp_path):
    enterprise, park, city = roster("enterprises.csv")[5], roster("parks.csv")[2], roster("cities.csv")[3]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, values in ((f"企业报表模板_{enterprise['enterprise_name']}.xlsx", ENTERPRISE),
                         (f"园区报表模板_{park['park_name']}.xlsx", PARK),
                         (f"地市报表模板_{city['city_name']}.xlsx", INDUSTRY)):
        workbook = openpyxl.load_workbook(templates / name)
        fill(workbook, values)
        workbook.save(inbox / name)
    warehouse = tmp_path / "warehouse"
    ran = zlbd("run", "--pipeline", str(PIPELINE), "--inbox", str(inbox), "--warehouse", str(warehouse))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    con = connect(warehouse)
    assert con.execute("select count(*) from rejects").fetchone()[0] == 0, \
        con.execute("select source_file, rule, message from rejects").fetchall()
    rows = con.execute("select level, entity_id, status, cells_loaded, cells_rejected, cells_missing, "
                       "contact_name from submissions order by level").fetchall()
    assert {(r[0], r[1]) for r in rows} == {("enterprise", enterprise["uscc"]), ("park", park["park_id"]),
                                           ("city", city["city_code"])}
    for level, _, status, loaded, rejected, missing, contact in rows:
        assert status == "active" and rejected == 0 and missing == 0 and loaded > 0, level
        assert contact == "测试填报人"
    (loaded,) = con.execute("select cells_loaded from submissions where level = 'enterprise'").fetchone()
    assert loaded == 18 * 3


def test_an_unfilled_template_reads_as_all_missing(templates):
    ran = zlbd("inspect", "--json", "--pipeline", str(PIPELINE),
               str(templates / f"园区报表模板_{roster('parks.csv')[0]['park_name']}.xlsx"))
    report = json.loads(ran.stdout)
    assert report["status"] == "accepted", ran.stdout
    assert report["cells"] and all(cell["outcome"] == "missing" for cell in report["cells"])


def test_one_entity_and_an_unknown_one(tmp_path):
    enterprise = roster("enterprises.csv")[0]
    ran = zlbd("template", "--pipeline", str(PIPELINE), "--entity", enterprise["uscc"], "--out", str(tmp_path / "one"))
    assert ran.returncode == 0, ran.stderr
    assert [p.name for p in (tmp_path / "one").iterdir()] == [f"企业报表模板_{enterprise['enterprise_name']}.xlsx"]
    ran = zlbd("template", "--pipeline", str(PIPELINE), "--entity", "nobody", "--out", str(tmp_path / "none"))
    assert ran.returncode == 2 and "nobody" in ran.stderr
