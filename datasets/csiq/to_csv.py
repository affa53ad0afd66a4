#!/usr/bin/env python3
"""CSIQ -> reference,distorted,score CSV for maso-eval mos.

usage: to_csv.py CSIQ_DIR [OUT.csv]     (default CSIQ_DIR/maso.csv)

CSIQ_DIR holds csiq.DMOS.xlsx, src_imgs/<image>.png and
dst_imgs/<type>/<image>.<TYPE>.<level>.png (found without regard to case
or to the type folder).  The sheet "all_by_image" has a header row with
the columns image, dst_type, dst_lev and dmos; the workbook is read with
the standard library (an .xlsx is a zip of XML).  Scores are DMOS
(higher = worse): run `maso-eval mos OUT.csv --scores dmos`."""
import os
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mosutil  # noqa: E402

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
# dst_type in the sheet -> the type in the file names
TYPES = {"noise": "awgn", "jpeg": "jpeg", "jpeg 2000": "jpeg2000",
         "jpeg2000": "jpeg2000", "f noise": "fnoise", "fnoise": "fnoise",
         "blur": "blur", "contrast": "contrast"}


def sheet_rows(path, wanted):
    """Rows (lists of cell texts) of the sheet called wanted."""
    with zipfile.ZipFile(path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
                shared.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
        book = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = None
        for s in book.iter("{%s}sheet" % NS["m"]):
            if s.get("name") == wanted:
                rid = s.get("{%s}id" % NS["r"])
                for rel in rels:
                    if rel.get("Id") == rid:
                        target = rel.get("Target").lstrip("/")
        if target is None:
            mosutil.fail("%s: no sheet named %s" % (path, wanted))
        if not target.startswith("xl/"):
            target = "xl/" + target
        rows = []
        for row in ET.fromstring(z.read(target)).iter("{%s}row" % NS["m"]):
            cells = {}
            for c in row.findall("m:c", NS):
                col = re.match(r"[A-Z]+", c.get("r")).group(0)
                idx = 0
                for ch in col:
                    idx = idx * 26 + ord(ch) - 64
                v = c.find("m:v", NS)
                text = v.text if v is not None else "".join(
                    t.text or "" for t in c.iter("{%s}t" % NS["m"]))
                if c.get("t") == "s" and text is not None:
                    text = shared[int(text)]
                cells[idx - 1] = text or ""
            if cells:
                rows.append([cells.get(i, "") for i in range(max(cells) + 1)])
        return rows


def number_text(s):
    """'1600' stays; 1600.0 read as a number becomes '1600'."""
    try:
        f = float(s)
        return str(int(f)) if f == int(f) else s
    except ValueError:
        return s


def main():
    root, out, base = mosutil.arguments(__doc__)
    book = os.path.join(root, "csiq.DMOS.xlsx")
    if not os.path.exists(book):
        mosutil.fail("%s: missing" % book)
    rows = sheet_rows(book, "all_by_image")
    head = next((i for i, r in enumerate(rows)
                 if {"image", "dst_type", "dst_lev", "dmos"} <= set(x.strip() for x in r)), None)
    if head is None:
        mosutil.fail("%s: no header row with image, dst_type, dst_lev, dmos" % book)
    col = {x.strip(): i for i, x in enumerate(rows[head])}
    dst_dir = os.path.join(root, "dst_imgs")
    if not os.path.isdir(dst_dir):
        mosutil.fail("%s: missing" % dst_dir)
    index = {}
    for d, _, files in os.walk(dst_dir):
        for f in files:
            index[f.lower()] = os.path.join(d, f)
    pairs = []
    for r in rows[head + 1:]:
        if len(r) <= max(col.values()) or not r[col["image"]].strip():
            continue
        image = number_text(r[col["image"]].strip())
        kind = r[col["dst_type"]].strip().lower()
        if kind not in TYPES:
            mosutil.fail("%s: unknown dst_type %r" % (book, kind))
        level = number_text(r[col["dst_lev"]].strip())
        name = "%s.%s.%s.png" % (image, TYPES[kind], level)
        if name.lower() not in index:
            mosutil.fail("%s: missing (row of %s)" % (os.path.join(dst_dir, name), book))
        ref = mosutil.find_file(os.path.join(root, "src_imgs"), image + ".png")
        pairs.append((os.path.relpath(ref, base),
                      os.path.relpath(index[name.lower()], base),
                      float(r[col["dmos"]])))
    mosutil.write_csv(out, pairs)


if __name__ == "__main__":
    main()
