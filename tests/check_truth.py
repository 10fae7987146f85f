"""Compares a published warehouse with a truth.json cell by cell (used by tests and by hand).

Usage: python tests/check_truth.py WAREHOUSE TRUTH_JSON
Prints one line per mismatch and a closing 'N passed, N failed' line; exits 1 on any mismatch.
"""
import json
import sys

import duckdb


def main(warehouse, truth_path):
    truth = json.load(open(truth_path, encoding="utf-8"))
    con = duckdb.connect()
    con.execute(open(f"{warehouse}/views.sql", encoding="utf-8").read())
    facts = {
        (r[0], r[1], r[2]): (r[3], r[4], r[5], r[6], r[7])
        for r in con.execute(
            "select source_file, source_sheet, source_cell, value, level, entity_id, indicator_code, year "
            "from fact_indicator where not is_derived"
        ).fetchall()
    }
    rejects = {}
    for r in con.execute(
        "select source_file, source_sheet, source_cell, rule from rejects where severity = 'error'"
    ).fetchall():
        rejects.setdefault((r[0], r[1], r[2]), set()).add(r[3])
    statuses = {}
    for r in con.execute("select source_file, status from submissions").fetchall():
        statuses[r[0]] = r[1]
    passed = failed = 0

    def fail(message):
        nonlocal failed
        failed += 1
        print("MISMATCH", message)

    for cell in truth["cells"]:
        key = (cell["file"], cell["sheet"], cell["cell"])
        where = f"{key[0]} {key[1]}!{key[2]} ({cell['indicator']} {cell['year']})"
        outcome = cell["outcome"]
        fact = facts.get(key)
        if outcome == "fact":
            if fact is None:
                fail(f"{where}: expected fact {cell['value']}, not loaded; rejects={rejects.get(key)}")
                continue
            value, level, entity, code, year = fact
            if abs(value - cell["value"]) > 1e-6 * max(1.0, abs(cell["value"])):
                fail(f"{where}: value {value} != {cell['value']}")
                continue
            if (level, entity, code, year) != (cell["level"], cell["entity_id"], cell["indicator"], cell["year"]):
                fail(f"{where}: keys {(level, entity, code, year)}")
                continue
        elif outcome == "reject":
            if fact is not None or cell["rule"] not in rejects.get(key, set()):
                fail(f"{where}: expected reject {cell['rule']}, got fact={fact} rejects={rejects.get(key)}")
                continue
        elif outcome in ("missing", "superseded"):
            if fact is not None or key in rejects:
                fail(f"{where}: expected {outcome}, got fact={fact} rejects={rejects.get(key)}")
                continue
        passed += 1
    for name, expected in truth["files"].items():
        got = statuses.get(name)
        if got != expected["status"]:
            fail(f"file {name}: status {got} != {expected['status']}")
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
