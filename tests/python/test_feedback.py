"""Feedback workbooks (`zlbd validate --out`) on the sample's bad files, read back with openpyxl:
one status per file that agrees everywhere, warnings that say what happened to the value, a
notice for 无 in a count, contacts and the not-yet-submitted list in 汇总.xlsx, and a rerun that
replaces exactly what the previous run wrote."""
import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import BIN, FIXED_MTIME, REPO

PIPELINE = REPO / "pipelines/shandong"
LEFT_OUT = "企业_德州博晟体育用品有限公司.xlsx"
WITH_NONE = "企业_威海信安纺织有限公司.xlsx"
NOT_LOADED_WARNINGS = {"UNKNOWN_INDICATOR", "YEAR_OUTSIDE_WINDOW"}
ERRORS = {"NOT_A_NUMBER", "OUT_OF_RANGE", "NOT_INTEGER", "UNKNOWN_UNIT", "CELL_ERROR",
          "FORMULA_NO_VALUE", "DUPLICATE_VALUE", "UNKNOWN_INDUSTRY", "BAD_USCC"}


def rewrite_2021_cell(path: Path, name_part: str, rewrite) -> str:
    """Replaces the 2021 cell of the row whose name holds `name_part` with `rewrite(old)`;
    returns the cell's address."""
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook:
        year_col = name_row = None
        for row in sheet.iter_rows():
            for cell in row:
                text = str(cell.value or "")
                if text.startswith("2021"):
                    year_col = cell.column
                if name_part in text:
                    name_row = cell.row
        if year_col and name_row:
            target = sheet.cell(name_row, year_col)
            target.value = rewrite(target.value)
            workbook.save(path)
            return target.coordinate
    raise AssertionError(f"no {name_part} row in {path.name}")


def write_none_into_a_count(path: Path) -> str:
    """Writes 无 into the 2021 cell of 质量投诉次数 (a count); returns the cell's address."""
    return rewrite_2021_cell(path, "质量投诉", lambda _: "无")


def validate(inbox: Path, out: Path):
    ran = subprocess.run(
        [str(BIN), "validate", "--pipeline", str(PIPELINE), "--inbox", str(inbox), "--out", str(out)],
        capture_output=True, text=True, check=False)
    assert ran.returncode == 3, ran.stdout + ran.stderr
    return ran


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feedback")
    inbox = tmp / "inbox"
    inbox.mkdir()
    for path in (REPO / "sample_data").iterdir():
        if path.is_file() and path.name != LEFT_OUT:
            shutil.copyfile(path, inbox / path.name)
    cell = write_none_into_a_count(inbox / WITH_NONE)
    for path in inbox.iterdir():
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    out = tmp / "feedback"
    validate(inbox, out)
    return inbox, out, cell


def rows(sheet):
    return [[("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)]


def summary(out):
    sheet = openpyxl.load_workbook(out / "汇总.xlsx")["汇总"]
    table = rows(sheet)
    header = table[0]
    return [dict(zip(header, row)) for row in table[1:]]


def submitter_books(out):
    """file → (workbook name, status, action) and every finding row, from the submitters' books."""
    files, findings = {}, []
    for path in sorted(out.glob("*_反馈.xlsx")):
        table = rows(openpyxl.load_workbook(path)["问题清单"])
        mode = None
        for row in table:
            if row[:4] == ["文件", "状态", "处理建议", "原因"]:
                mode = "files"
                continue
            if row[:3] == ["文件", "工作表", "单元格"]:
                mode = "findings"
                continue
            if not row[0]:
                continue
            if mode == "files":
                files[row[0]] = (path.name, row[1], row[2])
            elif mode == "findings" and len(row) >= 7 and row[4]:
                findings.append({"book": path.name, "file": row[0], "cell": row[2], "raw": row[3],
                                 "rule": row[4], "handling": row[5], "message": row[6]})
        # Thanks only when every file of the book is plainly loaded, and only once, at the end.
        statuses = [files[f][1] for f in files if files[f][0] == path.name]
        thanks = [r for r in table if any("感谢配合" in v for v in r)]
        if thanks:
            assert all(s == "已载入" for s in statuses), (path.name, statuses)
            assert thanks == [table[-1]] or thanks[-1][0] == "未发现问题，感谢配合。", path.name
    return files, findings


def test_one_status_per_file_everywhere(feedback):
    _, out, _ = feedback
    files, _ = submitter_books(out)
    listed = summary(out)
    seen = 0
    for row in listed:
        if row["状态"].startswith("已忽略"):
            continue
        book, status, action = files[row["文件"]]
        assert status == row["状态"], (row["文件"], status, row["状态"])
        assert action == row["处理建议"]
        seen += 1
    assert seen > 190


def test_rejected_and_partial_files_never_read_as_loaded(feedback):
    _, out, _ = feedback
    files, _ = submitter_books(out)
    listed = {row["文件"]: row for row in summary(out)}
    corrupt = listed["企业_传输中断.xlsx"]
    assert corrupt["状态"].startswith("未通过") and corrupt["原因"]
    book, status, action = files["企业_传输中断.xlsx"]
    assert "感谢" not in action
    bad_uscc = listed["企业_枣庄正宇新能源有限公司_代码有误.xlsx"]
    assert bad_uscc["状态"].startswith("未通过")
    partial = [row for row in listed.values() if row["错误"] not in ("", "0") and row["状态"] != ""]
    assert partial
    for row in partial:
        if not row["状态"].startswith(("未通过", "已被更正", "重复")):
            assert row["状态"].startswith("部分载入"), row
            assert row["状态"] != "已载入"


def test_every_finding_says_what_happened_to_its_value(feedback):
    _, out, _ = feedback
    _, findings = submitter_books(out)
    rules = {f["rule"] for f in findings}
    assert NOT_LOADED_WARNINGS <= rules, rules
    for finding in findings:
        if finding["rule"] in NOT_LOADED_WARNINGS or finding["rule"] in ERRORS:
            assert "未载入" in finding["handling"] and "已载入" not in finding["handling"], finding
        elif finding["rule"] in ("YOY_JUMP", "INCONSISTENT", "NOT_IN_ROSTER", "NAME_MISMATCH"):
            assert "已载入" in finding["handling"], finding


def test_none_in_a_count_is_a_notice(feedback):
    _, out, cell = feedback
    files, findings = submitter_books(out)
    notices = [f for f in findings if f["rule"] == "MISSING_AS_NONE"]
    assert [(n["file"], n["cell"], n["raw"]) for n in notices] == [(WITH_NONE, cell, "无")]
    assert "按缺失处理" in notices[0]["handling"] and "填写0" in notices[0]["message"]
    row = {r["文件"]: r for r in summary(out)}[WITH_NONE]
    assert row["提示"] == "1"
    assert "感谢" not in files[WITH_NONE][2]


def test_summary_has_contacts_and_who_has_not_submitted(feedback):
    _, out, _ = feedback
    listed = summary(out)
    active = [row for row in listed if row["状态"].startswith(("已载入", "部分载入"))]
    with_contact = [row for row in active if row["填报人"] and row["联系电话"]]
    assert len(with_contact) > len(active) / 2, "contacts from the forms' 填报人 and 联系电话"
    outstanding = rows(openpyxl.load_workbook(out / "汇总.xlsx")["未报送名单"])
    # The city's contact, for 催报 (the sample's city forms leave 填报人 empty).
    assert outstanding[0] == ["报表", "代码", "名称", "地市", "情况", "地市联系人", "地市联系电话",
                              "联系人说明"]
    names = {row[2]: row for row in outstanding[1:]}
    assert "德州博晟体育用品有限公司" in names
    assert names["德州博晟体育用品有限公司"][4] == "未报送"


def fill_city_contact(path: Path, version, name, phone):
    """Adds 报表版本, 填报人 and 联系电话 under a city form's 基本信息."""
    workbook = openpyxl.load_workbook(path)
    info = workbook["基本信息"]
    for label, value in [("报表版本", version), ("填报人", name), ("联系电话", phone)]:
        info.append([label, value])
    workbook.save(path)


def test_a_city_form_filled_by_another_city_is_no_contact_to_trust(tmp_path):
    """Dezhou's form restated by a clerk of another city (another 填报人 and phone, version 2):
    it wins (SPEC §6), but 未报送名单 does not hand its contact out as Dezhou's without a word:
    it names the earlier form's contact too and asks to check."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in (REPO / "sample_data").iterdir():
        if path.is_file() and path.name != LEFT_OUT:
            shutil.copyfile(path, inbox / path.name)
    city = inbox / "地市_德州市.xlsx"
    restated = inbox / "地市_德州市_更正.xlsx"
    shutil.copyfile(city, restated)
    fill_city_contact(city, 1, "李强", "0534-2612345")
    fill_city_contact(restated, 2, "王芳", "0531-86001234")
    for path in inbox.iterdir():
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    out = tmp_path / "feedback"
    validate(inbox, out)
    outstanding = rows(openpyxl.load_workbook(out / "汇总.xlsx")["未报送名单"])
    header = outstanding[0]
    listed = {row[2]: dict(zip(header, row)) for row in outstanding[1:]}
    dezhou = listed["德州博晟体育用品有限公司"]
    assert (dezhou["地市联系人"], dezhou["地市联系电话"]) == ("王芳", "0531-86001234"), dezhou
    assert "李强（0534-2612345）" in dezhou["联系人说明"], dezhou
    assert "请核实" in dezhou["联系人说明"] and restated.name in dezhou["联系人说明"], dezhou
    # Another city's outstanding entities keep their contact without a doubt.
    others = [row for name, row in listed.items() if row["地市"] != "德州市"]
    assert all(not row["联系人说明"] for row in others), others


def test_a_rerun_replaces_only_what_it_wrote(feedback, tmp_path):
    inbox, out, _ = feedback
    rerun = tmp_path / "out"
    shutil.copytree(out, rerun)
    (rerun / "我的笔记.xlsx").write_bytes(b"not zlbd's")
    marker = (rerun / ".zlbd-feedback").read_text(encoding="utf-8")
    gone = "企业_东营博泽纺织有限公司.xlsx"
    book = next(name for name in marker.splitlines() if "东营博泽纺织" in name)
    assert (rerun / book).exists()
    smaller = tmp_path / "inbox"
    shutil.copytree(inbox, smaller)
    (smaller / gone).unlink()
    validate(smaller, rerun)
    names = {p.name for p in rerun.iterdir()}
    assert book not in names, "the previous run's workbook for a file no longer in the inbox is gone"
    assert "我的笔记.xlsx" in names, "a file the run did not write is kept"
    listed = [l for l in (rerun / ".zlbd-feedback").read_text(encoding="utf-8").splitlines()
              if l and not l.startswith("#")]
    assert set(listed) == names - {"我的笔记.xlsx", ".zlbd-feedback"}


def test_a_tie_between_two_forms_asks_which_is_the_correction(tmp_path):
    """Two forms of one enterprise with the same 报表版本 and 填报日期 and the same modification
    time (unzipped together): one wins on its name only, so its loser's reason names the winner
    and the rule, and the feedback asks to check which is the correction instead of "无需处理"."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    original = "企业_济南正力电器股份有限公司.xlsx"
    shutil.copyfile(REPO / "sample_data" / original, inbox / original)
    restated = inbox / "企业_济南正力电器股份有限公司_改.xlsx"
    shutil.copyfile(REPO / "sample_data" / original, restated)
    write_none_into_a_count(restated)
    for path in inbox.iterdir():
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    warehouse = tmp_path / "warehouse"
    ran = subprocess.run(
        [str(BIN), "run", "--pipeline", str(PIPELINE), "--inbox", str(inbox), "--warehouse",
         str(warehouse)], capture_output=True, text=True, check=False)
    assert ran.returncode in (0, 3), ran.stdout + ran.stderr
    import duckdb
    status = dict(duckdb.sql(
        f"select source_file, status || ' ' || coalesce(reason, '') "
        f"from read_parquet('{warehouse}/current/submissions/*.parquet')").fetchall())
    # "…xlsx" sorts before "…_改.xlsx": the original wins on its name.
    assert status[original] == "active ", status
    lost = status[restated.name]
    assert lost.startswith("superseded ") and original in lost and "请核实" in lost, lost
    out = tmp_path / "feedback"
    validate_any = subprocess.run(
        [str(BIN), "validate", "--pipeline", str(PIPELINE), "--inbox", str(inbox), "--out",
         str(out)], capture_output=True, text=True, check=False)
    assert validate_any.returncode in (0, 3), validate_any.stderr
    files, _ = submitter_books(out)
    _, verdict, action = files[restated.name]
    assert "请核实哪份是更正" in action and "无需处理" not in action, (verdict, action)


def scale_2021_cell(path: Path, name_part: str, factor: float) -> str:
    """Multiplies the 2021 cell of the row whose name holds `name_part`; returns its address."""
    def scaled(value):
        # The sample writes some numbers as text (23,201.99, 97.1%).
        written = str(value).replace(",", "").rstrip("%")
        return round(float(written) * factor, 6)
    return rewrite_2021_cell(path, name_part, scaled)


def test_a_unit_slip_against_the_peers_is_a_notice_on_its_cell(tmp_path):
    """Revenue typed in 元 (×10⁴) and a pass rate typed as a fraction (0.97 for 97 %): both
    load, nothing rejects them, and the feedback asks the clerk to check exactly those cells.
    The untouched sample has none."""
    inbox = tmp_path / "inbox"
    shutil.copytree(REPO / "sample_data", inbox)
    slipped = "企业_东营博泽纺织有限公司.xlsx"
    revenue = scale_2021_cell(inbox / slipped, "营业收入", 10_000)
    rate = scale_2021_cell(inbox / slipped, "抽查合格率", 0.01)
    for path in inbox.iterdir():
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    out = tmp_path / "feedback"
    validate(inbox, out)
    files, findings = submitter_books(out)
    slips = sorted((f["file"], f["cell"]) for f in findings if f["rule"] == "UNIT_SLIP")
    assert slips == sorted([(slipped, revenue), (slipped, rate)]), slips
    by_cell = {f["cell"]: f for f in findings if f["rule"] == "UNIT_SLIP"}
    assert "元" in by_cell[revenue]["message"] and "已载入" in by_cell[revenue]["handling"]
    assert "百分数" in by_cell[rate]["message"]
    # 0.952 × 100 shows as 95.2, never 95.19999999999999.
    assert "99999" not in by_cell[rate]["message"] and "00000001" not in by_cell[rate]["message"]
    assert "感谢" not in files[slipped][2]
