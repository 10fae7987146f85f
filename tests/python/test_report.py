"""The report as people see it: `zlbd run` on the sample writes report/index.html into the
snapshot; headless Chromium opens it (no network), dumps the DOM and takes a screenshot, and the
numbers in the DOM are checked against the warehouse read with DuckDB."""
import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import BIN, FIXED_MTIME, REPO, connect

SECTIONS = ["completeness", "rejects", "trends", "ranks", "typical", "weak", "method"]
ROSTER = REPO / "pipelines/shandong/roster"
# Files left out of the second inbox, so the roster has someone who has not submitted.
LEFT_OUT = ["企业_东营博泽纺织有限公司.xlsx", "企业_德州博晟体育用品有限公司.xlsx",
            "园区_临沂木业产业园.xlsx", "地市_聊城市.xlsx"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed: .ci/run installs Debian's chromium in CI")
    pytest.skip("chromium is not installed (apt-get install chromium fonts-noto-cjk); "
                "CI installs it and runs this test")


def browse(page: Path, *extra: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
            capture_output=True, text=True, timeout=180, check=False,
        )


class Dom(HTMLParser):
    """Every element with its attributes, the section it is in, and its text."""

    def __init__(self):
        super().__init__()
        self.elements = []
        self.stack = []
        self.section = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section = attrs.get("id")
        element = {"tag": tag, "attrs": attrs, "section": self.section, "text": ""}
        self.elements.append(element)
        if tag not in ("br", "meta", "img", "input", "link", "hr"):
            self.stack.append(element)

    def handle_endtag(self, tag):
        while self.stack:
            element = self.stack.pop()
            if element["tag"] == tag:
                break
        if tag == "section":
            self.section = None

    def handle_data(self, data):
        for element in self.stack:
            element["text"] += data

    def find(self, tag=None, section=None, **attrs):
        return [e for e in self.elements
                if (tag is None or e["tag"] == tag)
                and (section is None or e["section"] == section)
                and all(e["attrs"].get(k.replace("_", "-")) == v for k, v in attrs.items())]


def run_sample(tmp: Path, leave_out=()) -> Path:
    inbox = tmp / "inbox"
    inbox.mkdir()
    for path in (REPO / "sample_data").iterdir():
        if path.is_file() and path.name not in leave_out:
            shutil.copyfile(path, inbox / path.name)
            os.utime(inbox / path.name, (FIXED_MTIME, FIXED_MTIME))
    warehouse = tmp / "warehouse"
    ran = subprocess.run(
        [str(BIN), "run", "--pipeline", str(REPO / "pipelines/shandong"), "--inbox", str(inbox),
         "--warehouse", str(warehouse)],
        capture_output=True, text=True, check=False)
    assert ran.returncode == 3, ran.stderr
    return warehouse


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    warehouse = run_sample(tmp)
    page = warehouse / "current/report/index.html"
    assert page.is_file(), "zlbd run writes report/index.html into the snapshot"
    dumped = browse(page, "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr
    dom = Dom()
    dom.feed(dumped.stdout)
    return warehouse, page, dom, tmp


def float_eq(text, value):
    if value is None:
        return text in ("", None)
    return abs(float(text) - value) <= 1e-9 * max(1.0, abs(value))


def test_every_section_is_in_the_dom(report):
    _, _, dom, _ = report
    for section in SECTIONS:
        assert dom.find("section", id=section), section
    assert "质量提升比对结果报告" in dom.find("h1")[0]["text"]


def test_the_page_needs_no_network(report):
    _, page, _, _ = report
    # The SVG namespace is a name, not a fetch.
    html = page.read_text(encoding="utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "")
    for needle in ("http://", "https://", "<script", "<link", "@import", "url("):
        assert needle not in html, needle
    assert html.count("<svg") >= 10, "charts are inline SVG"


def test_the_typical_rows_are_the_warehouse_ones(report):
    warehouse, _, dom, _ = report
    con = connect(warehouse)
    expected = con.execute(
        "select level, entity_id, typical_rank, score_change, score from entity_score "
        "where typical order by level, typical_rank").fetchall()
    assert len(expected) == 50
    section = dom.find("section", id="typical")[0]
    assert section["attrs"]["data-count"] == "50"
    rows = [e["attrs"] for e in dom.find("tr", section="typical") if "data-entity-id" in e["attrs"]]
    assert len(rows) == 50
    got = {(r["data-level"], r["data-entity-id"]): r for r in rows}
    for level, entity_id, rank, change, score in expected:
        row = got[(level, entity_id)]
        assert int(row["data-typical-rank"]) == rank
        assert float_eq(row["data-score-change"], change)
        assert float_eq(row["data-score"], score)
    # The indicators named as contributing most are indicators of the entity's detail.
    detail = {(l, e, c) for l, e, c in con.execute(
        "select level, entity_id, indicator_code from entity_score_detail").fetchall()}
    for row in rows:
        for code in filter(None, row["data-top"].split(",")):
            assert (row["data-level"], row["data-entity-id"], code) in detail


def roster_counts(con):
    return {
        "enterprise": con.execute(f"select count(*) from read_csv('{ROSTER / 'enterprises.csv'}', all_varchar=true)").fetchone()[0],
        "park": con.execute(f"select count(*) from read_csv('{ROSTER / 'parks.csv'}', all_varchar=true)").fetchone()[0],
        "city": con.execute(f"select count(*) from read_csv('{ROSTER / 'cities.csv'}', all_varchar=true)").fetchone()[0],
    }


def submitted_counts(con):
    ids = {
        "enterprise": f"select uscc from read_csv('{ROSTER / 'enterprises.csv'}', all_varchar=true)",
        "park": f"select park_id from read_csv('{ROSTER / 'parks.csv'}', all_varchar=true)",
        "city": f"select city_code from read_csv('{ROSTER / 'cities.csv'}', all_varchar=true)",
    }
    return {
        level: con.execute(
            f"select count(distinct entity_id) from submissions where status = 'active' "
            f"and level = '{level}' and entity_id in ({query})").fetchone()[0]
        for level, query in ids.items()
    }


def check_completeness(warehouse, dom):
    con = connect(warehouse)
    expected, submitted = roster_counts(con), submitted_counts(con)
    rows = {e["attrs"]["data-level"]: e["attrs"]
            for e in dom.find("tr", section="completeness") if "data-rejected-only" in e["attrs"]}
    for level in ("enterprise", "park", "city"):
        assert int(rows[level]["data-expected"]) == expected[level], level
        assert int(rows[level]["data-submitted"]) == submitted[level], level
        assert int(rows[level]["data-missing"]) == expected[level] - submitted[level], level
    section = dom.find("section", id="completeness")[0]["attrs"]
    assert int(section["data-missing"]) == sum(expected.values()) - sum(submitted.values())
    # The city matrix adds up to the level totals.
    cities = [e["attrs"] for e in dom.find("tr", section="completeness") if "data-city-code" in e["attrs"]]
    assert len(cities) == expected["city"]
    assert sum(int(c["data-enterprise-expected"]) for c in cities) == expected["enterprise"]
    assert sum(int(c["data-enterprise-submitted"]) for c in cities) == submitted["enterprise"]
    assert sum(int(c["data-park-submitted"]) for c in cities) == submitted["park"]
    listed = dom.find("tr", section="completeness", data_level="enterprise")
    return expected, submitted, listed


def test_completeness_counts_match_the_warehouse(report):
    warehouse, _, dom, _ = report
    check_completeness(warehouse, dom)


def test_completeness_names_who_has_not_submitted(tmp_path):
    warehouse = run_sample(tmp_path, LEFT_OUT)
    page = warehouse / "current/report/index.html"
    dumped = browse(page, "--dump-dom")
    dom = Dom()
    dom.feed(dumped.stdout)
    expected, submitted, _ = check_completeness(warehouse, dom)
    assert expected["enterprise"] - submitted["enterprise"] >= 2
    assert expected["park"] - submitted["park"] == 1
    assert expected["city"] - submitted["city"] == 1
    missing = [e for e in dom.find("tr", section="completeness") if "data-entity-id" in e["attrs"]]
    names = " ".join(e["text"] for e in missing)
    for name in ("东营博泽纺织有限公司", "德州博晟体育用品有限公司", "临沂木业产业园", "聊城市"):
        assert name in names, name
    table = dom.find("table", id="not-submitted")[0]["attrs"]
    assert int(table["data-count"]) == len(missing)


def test_rejects_per_submitter_add_up(report):
    warehouse, _, dom, _ = report
    con = connect(warehouse)
    errors, warnings = con.execute(
        "select count(*) filter (where severity = 'error'), count(*) filter (where severity = 'warning') "
        "from rejects").fetchone()
    section = dom.find("section", id="rejects")[0]["attrs"]
    assert (int(section["data-errors"]), int(section["data-warnings"])) == (errors, warnings)
    rows = [e["attrs"] for e in dom.find("tr", section="rejects") if "data-submitter" in e["attrs"]]
    assert sum(int(r["data-errors"]) for r in rows) == errors
    assert sum(int(r["data-warnings"]) for r in rows) == warnings


def test_ranks_and_trends_match_the_warehouse(report):
    warehouse, _, dom, _ = report
    con = connect(warehouse)
    groups = con.execute(
        "select level, score_group, count(*) from entity_score where year = 2021 group by all").fetchall()
    tables = {(t["attrs"]["data-level"], t["attrs"]["data-group"]): int(t["attrs"]["data-count"])
              for t in dom.find("table", section="ranks")}
    assert tables == {(level, group): n for level, group, n in groups}
    for industry in dom.find("div", section="trends"):
        pid = industry["attrs"].get("data-industry")
        if not pid:
            continue
        values = dict(((code, year), value) for code, year, value in con.execute(
            "select indicator_code, year, value from fact_indicator "
            "where level = 'province_industry' and entity_id = ?", [pid]).fetchall())
        assert values, pid
    province = con.execute(
        "select count(distinct entity_id) from fact_indicator where level = 'province_industry'").fetchone()[0]
    assert dom.find("section", id="trends")[0]["attrs"]["data-industries"] == str(province)
    cells = [e["attrs"] for e in dom.find("td", section="trends") if e["attrs"].get("data-value")]
    assert len(cells) >= province * 10 * 3
    assert len(dom.find("div", section="weak")) == roster_counts(con)["city"]


def test_a_weak_growth_shows_the_two_values_it_comes_from(report):
    """A growth of −50 % may be 2 → 1: each weak point compared by growth gives the city's
    previous and last values, as fact_comparison has them; one compared by value gives none."""
    warehouse, _, dom, _ = report
    con = connect(warehouse)
    growths = 0
    for row in dom.find("tr", section="weak"):
        attrs = row["attrs"]
        if "data-from" not in attrs:
            continue
        kind = con.execute("select kind from dim_indicator where level = 'province_industry' "
                           "and indicator_code = ?", [attrs["data-indicator"]]).fetchone()[0]
        previous, value = con.execute(
            "select prev_value, value from fact_comparison where level = 'province_industry_city' "
            "and entity_id = ? and indicator_code = ? and year = 2021",
            [attrs["data-entity-id"], attrs["data-indicator"]]).fetchone()
        if kind in ("rate", "score"):
            assert attrs["data-from"] == attrs["data-to"] == "", attrs
        else:
            assert (float(attrs["data-from"]), float(attrs["data-to"])) == (previous, value), attrs
            growths += 1
    assert growths > 0


def test_the_screenshot_is_taken(report):
    _, page, _, tmp = report
    shot = tmp / "report.png"
    ran = browse(page, f"--screenshot={shot}", "--window-size=1400,4000")
    assert ran.returncode == 0, ran.stderr
    assert shot.is_file() and shot.stat().st_size > 50_000
    keep = os.environ.get("ZLBD_REPORT_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)


def test_zlbd_report_writes_the_same_page_and_the_packs(report):
    warehouse, page, _, tmp = report
    out = tmp / "again"
    ran = subprocess.run(
        [str(BIN), "report", "--pipeline", str(REPO / "pipelines/shandong"), "--warehouse",
         str(warehouse), "--out", str(out)], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr
    assert (out / "index.html").read_bytes() == page.read_bytes()
    names = {p.name for p in out.iterdir()}
    for name in ("典型示范名单.xlsx", "比对排名.xlsx", "报送情况.xlsx", "城市_济南市.xlsx"):
        assert name in names, names
    assert len([n for n in names if n.startswith("城市_")]) == 16


def test_the_rank_pack_opens_with_its_formats_and_the_same_bytes_every_time(report):
    """The rank pack's sheets are filled side by side and streamed: each header cell is bold
    on its fill, each score with decimals shows two, and reports of one snapshot are the same
    bytes however the threads ran."""
    import openpyxl

    warehouse, page, _, tmp = report
    packs = []
    for attempt in range(5):
        out = tmp / f"ranks-{attempt}"
        ran = subprocess.run(
            [str(BIN), "report", "--pipeline", str(REPO / "pipelines/shandong"), "--warehouse",
             str(warehouse), "--out", str(out)], capture_output=True, text=True, check=False)
        assert ran.returncode == 0, ran.stderr
        packs.append((out / "比对排名.xlsx").read_bytes())
    assert all(pack == packs[0] for pack in packs)
    workbook = openpyxl.load_workbook(tmp / "ranks-0" / "比对排名.xlsx")
    assert len(workbook.sheetnames) > 5, workbook.sheetnames
    for sheet in workbook.worksheets:
        header = next(sheet.iter_rows(min_row=1, max_row=1))
        assert all(cell.font.b and cell.fill.fgColor.rgb.endswith("F3F6FA") for cell in header), \
            sheet.title
        score = [cell.value for cell in header].index("综合得分")
        shown = [row[score] for row in sheet.iter_rows(min_row=2)
                 if isinstance(row[score].value, float) and not row[score].value.is_integer()]
        assert shown, sheet.title
        assert all(cell.number_format == "0.00" for cell in shown), sheet.title
