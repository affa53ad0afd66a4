#!/usr/bin/env python3
"""LIVE Image Quality Assessment Database, Release 2 -> reference,
distorted,score CSV for maso-eval mos.

usage: to_csv.py LIVE_DIR [OUT.csv]     (default LIVE_DIR/maso.csv)

LIVE_DIR (databaserelease2/) holds dmos.mat (dmos and orgs, 1 x 982),
refnames_all.mat (refnames_all, 1 x 982), refimgs/ and the folders jp2k
(227 images), jpeg (233), wn (174), gblur (174), fastfading (174) with
img1.bmp ... in that order of the 982 entries.  Entries with orgs = 1 are
the references themselves and are left out.  Reading the MATLAB files
needs scipy (pip install scipy).  Scores are DMOS (higher = worse): run
`maso-eval mos OUT.csv --scores dmos`.  The bitmaps are converted once to
PNG into LIVE_DIR/png/."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mosutil  # noqa: E402

FOLDERS = [("jp2k", 227), ("jpeg", 233), ("wn", 174), ("gblur", 174),
           ("fastfading", 174)]


def main():
    try:
        from scipy.io import loadmat
    except ImportError:
        mosutil.fail("reading LIVE's .mat files needs scipy: pip install scipy")
    root, out, base = mosutil.arguments(__doc__)
    for f in ("dmos.mat", "refnames_all.mat"):
        if not os.path.exists(os.path.join(root, f)):
            mosutil.fail("%s: missing" % os.path.join(root, f))
    m = loadmat(os.path.join(root, "dmos.mat"))
    dmos, orgs = m["dmos"].ravel(), m["orgs"].ravel()
    names = [str(x[0]) for x in loadmat(os.path.join(root, "refnames_all.mat"))["refnames_all"].ravel()]
    total = sum(n for _, n in FOLDERS)
    if not (len(dmos) == len(orgs) == len(names) == total):
        mosutil.fail("expected %d entries, found dmos %d, orgs %d, refnames %d"
                     % (total, len(dmos), len(orgs), len(names)))
    rows, k = [], 0
    png = os.path.join(root, "png")
    for folder, count in FOLDERS:
        for i in range(1, count + 1):
            if not orgs[k]:
                dist = os.path.join(root, folder, "img%d.bmp" % i)
                ref = mosutil.find_file(os.path.join(root, "refimgs"), names[k])
                rows.append((mosutil.as_png(ref, os.path.join(png, "refimgs"), base),
                             mosutil.as_png(dist, os.path.join(png, folder), base),
                             float(dmos[k])))
            k += 1
    mosutil.write_csv(out, rows)


if __name__ == "__main__":
    main()
