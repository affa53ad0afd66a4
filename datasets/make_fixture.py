#!/usr/bin/env python3
"""make_fixture.py NAME OUT_DIR -- a tiny synthetic copy of benchmark NAME
(tid2013, tid2008, kadid10k, csiq) in its native layout and score-file
format, so that the converters and maso-eval mos are tested offline.
Images are 48 x 48 gradients; a distorted image adds deterministic noise
that grows with the level, and its score falls (MOS) or rises (DMOS)
with the level.  Standard library only."""
import os
import random
import struct
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mosutil  # noqa: E402

SIZE = 48


def pixels(ref, level, seed):
    rnd = random.Random(seed)
    rows = []
    for y in range(SIZE):
        row = bytearray()
        for x in range(SIZE):
            for c in range(3):
                v = (x * 5 + y * 3 + c * 40 + ref * 60) % 256
                v += rnd.gauss(0, 9 * level) if level else 0
                row.append(max(0, min(255, int(round(v)))))
        rows.append(bytes(row))
    return rows


def write_bmp(path, rows):
    stride = (SIZE * 3 + 3) & ~3
    body = b""
    for row in reversed(rows):  # bottom-up
        bgr = bytearray(SIZE * 3)
        bgr[0::3], bgr[1::3], bgr[2::3] = row[2::3], row[1::3], row[0::3]
        body += bytes(bgr) + b"\0" * (stride - SIZE * 3)
    head = struct.pack("<2sIHHI", b"BM", 54 + len(body), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, SIZE, SIZE, 1, 24, 0, len(body),
                       2835, 2835, 0, 0)
    with open(path, "wb") as f:
        f.write(head + info + body)


def png(path, rows):
    mosutil.write_png(path, SIZE, SIZE, rows)


def tid(out, with_names):
    os.makedirs(os.path.join(out, "reference_images"), exist_ok=True)
    os.makedirs(os.path.join(out, "distorted_images"), exist_ok=True)
    lines, scores = [], []
    for r in (1, 2):
        write_bmp(os.path.join(out, "reference_images", "I%02d.BMP" % r), pixels(r, 0, 0))
        for t in (1, 2):
            for level in (1, 2, 3):
                name = "i%02d_%02d_%d.bmp" % (r, t, level)
                write_bmp(os.path.join(out, "distorted_images", name),
                          pixels(r, level + t - 1, hash((r, t, level)) & 0xffff))
                lines.append("%.5f %s\n" % (6.0 - level - 0.3 * t, name))
                scores.append("%.5f\n" % (6.0 - level - 0.3 * t))
    if with_names:
        open(os.path.join(out, "mos_with_names.txt"), "w").writelines(lines)
    else:
        open(os.path.join(out, "mos.txt"), "w").writelines(scores)


def kadid(out):
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    rows = ["dist_img,ref_img,dmos,var\n"]
    for r in (1, 2, 3):
        png(os.path.join(out, "images", "I%02d.png" % r), pixels(r, 0, 0))
        for t in (1, 2):
            for level in (1, 2, 3, 4, 5):
                name = "I%02d_%02d_%02d.png" % (r, t, level)
                png(os.path.join(out, "images", name), pixels(r, level, r * 100 + t * 10 + level))
                rows.append("%s,I%02d.png,%.3f,0.5\n" % (name, r, 5.0 - 0.8 * level))
    open(os.path.join(out, "dmos.csv"), "w").writelines(rows)


def xlsx(path, sheet, table):
    """A minimal workbook: one sheet, inline strings and numbers."""
    def cell(ref, v):
        if isinstance(v, str):
            return '<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, v)
        return '<c r="%s"><v>%r</v></c>' % (ref, v)
    rows = []
    for i, r in enumerate(table, 1):
        cells = "".join(cell("%s%d" % (chr(65 + j), i), v) for j, v in enumerate(r) if v is not None)
        rows.append('<row r="%d">%s</row>' % (i, cells))
    m = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="%s" xmlns:r="%s"><sheets><sheet name="info" sheetId="1" r:id="rId1"/><sheet name="%s" sheetId="2" r:id="rId2"/></sheets></workbook>' % (m, rel, sheet))
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="%s/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="%s/worksheet" Target="worksheets/sheet2.xml"/></Relationships>' % (rel, rel))
        z.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet xmlns="%s"><sheetData/></worksheet>' % m)
        z.writestr("xl/worksheets/sheet2.xml", '<?xml version="1.0"?><worksheet xmlns="%s"><sheetData>%s</sheetData></worksheet>' % (m, "".join(rows)))


def csiq(out):
    os.makedirs(os.path.join(out, "src_imgs"), exist_ok=True)
    table = [["CSIQ DMOS (synthetic fixture)"], [], [],
             [None, None, None, "image", "dst_idx", "dst_type", "dst_lev", "dmos_std", "dmos"]]
    kinds = [("noise", "AWGN", "awgn"), ("jpeg 2000", "jpeg2000", "jpeg2000")]
    for image in ("1600", "boston"):
        png(os.path.join(out, "src_imgs", image + ".png"), pixels(len(image), 0, 0))
        for k, (sheet_type, file_type, folder) in enumerate(kinds):
            os.makedirs(os.path.join(out, "dst_imgs", folder), exist_ok=True)
            for level in (1, 2, 3, 4):
                png(os.path.join(out, "dst_imgs", folder, "%s.%s.%d.png" % (image, file_type, level)),
                    pixels(len(image), level, level * 7 + k))
                table.append([None, None, None, float(image) if image.isdigit() else image,
                              k + 1, sheet_type, level, 0.05, 0.1 * level + 0.02 * k])
    xlsx(os.path.join(out, "csiq.DMOS.xlsx"), "all_by_image", table)


def main():
    if len(sys.argv) != 3:
        mosutil.fail("usage: make_fixture.py tid2013|tid2008|kadid10k|csiq OUT_DIR")
    name, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    {"tid2013": lambda: tid(out, True), "tid2008": lambda: tid(out, False),
     "kadid10k": lambda: kadid(out), "csiq": lambda: csiq(out)}[name]()


if __name__ == "__main__":
    main()
