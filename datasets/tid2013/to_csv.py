#!/usr/bin/env python3
"""TID2013 (or TID2008) -> reference,distorted,score CSV for maso-eval mos.

usage: to_csv.py TID_DIR [OUT.csv]     (default TID_DIR/maso.csv)

TID_DIR holds, as the archive unpacks: reference_images/I01.BMP ...,
distorted_images/i01_01_1.bmp ... and mos_with_names.txt ("MOS name" per
line).  When mos_with_names.txt is missing (some TID2008 copies), mos.txt
is paired with the sorted distorted file names, the order the authors list
them in.  Scores are MOS (higher = better): run `maso-eval mos OUT.csv`.
The bitmaps are converted once to PNG into TID_DIR/png/."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mosutil  # noqa: E402


def entries(root):
    named = os.path.join(root, "mos_with_names.txt")
    if os.path.exists(named):
        out = []
        for n, line in enumerate(open(named, encoding="latin-1"), 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                mosutil.fail("%s:%d: expected \"MOS name\"" % (named, n))
            out.append((parts[1], float(parts[0])))
        return out
    plain = os.path.join(root, "mos.txt")
    if not os.path.exists(plain):
        mosutil.fail("%s: missing (and no mos.txt)" % named)
    scores = [float(l) for l in open(plain) if l.strip()]
    dist = sorted(n for n in os.listdir(os.path.join(root, "distorted_images"))
                  if n.lower().endswith(".bmp"))
    if len(dist) != len(scores):
        mosutil.fail("%s: %d scores for %d distorted images"
                     % (plain, len(scores), len(dist)))
    return list(zip(dist, scores))


def main():
    root, out, base = mosutil.arguments(__doc__)
    png = os.path.join(root, "png")
    rows = []
    for name, score in entries(root):
        ref_name = "I" + name[1:3] + ".BMP"  # i01_01_1.bmp -> I01.BMP
        ref = mosutil.find_file(os.path.join(root, "reference_images"), ref_name)
        dist = mosutil.find_file(os.path.join(root, "distorted_images"), name)
        rows.append((mosutil.as_png(ref, os.path.join(png, "reference"), base),
                     mosutil.as_png(dist, os.path.join(png, "distorted"), base),
                     score))
    mosutil.write_csv(out, rows)


if __name__ == "__main__":
    main()
