"""Seeds for the sheet_xml_to_cells fuzz target: the four XML parts of every real .xlsx we have.

Usage: python3 seed_sheet_xml.py OUT_DIR WORKBOOK...
"""
import hashlib
import sys
import zipfile
from pathlib import Path

SEPARATOR = b"\n<!--ZLBD-PART-->\n"
PARTS = ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/sharedStrings.xml", "xl/styles.xml"]


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for path in sys.argv[2:]:
        try:
            with zipfile.ZipFile(path) as package:
                names = set(package.namelist())
                parts = [package.read(name) if name in names else b"" for name in PARTS]
        except (zipfile.BadZipFile, OSError, KeyError):
            continue
        seed = SEPARATOR.join(parts)
        (out / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
        written += 1
    print(f"{written} seeds in {out}")


if __name__ == "__main__":
    main()
