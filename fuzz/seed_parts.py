"""Seeds for the structure-aware fuzz targets: the parts of every real workbook we have.

Usage: python3 seed_parts.py xlsx|ods OUT_DIR WORKBOOK...
  xlsx: sheet1.xml, sheet2.xml, sharedStrings.xml, styles.xml (for sheet_xml_to_cells)
  ods:  content.xml (for ods_content_to_cells)
"""
import hashlib
import sys
import zipfile
from pathlib import Path

SEPARATOR = b"\n<!--ZLBD-PART-->\n"
PARTS = {
    "xlsx": ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/sharedStrings.xml", "xl/styles.xml"],
    "ods": ["content.xml"],
}


def main() -> None:
    parts, out = PARTS[sys.argv[1]], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for path in sys.argv[3:]:
        try:
            with zipfile.ZipFile(path) as package:
                names = set(package.namelist())
                if parts[0] not in names and parts[-1] not in names:
                    continue
                pieces = [package.read(name) if name in names else b"" for name in parts]
        except (zipfile.BadZipFile, OSError, KeyError):
            continue
        seed = SEPARATOR.join(pieces)
        (out / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
        written += 1
    print(f"{written} seeds in {out}")


if __name__ == "__main__":
    main()
