#!/usr/bin/env python3
"""KADID-10k -> reference,distorted,score CSV for maso-eval mos.

usage: to_csv.py KADID_DIR [OUT.csv]     (default KADID_DIR/maso.csv)

KADID_DIR holds dmos.csv (columns dist_img, ref_img, dmos, var) and
images/ with both the references (I01.png) and the distorted images
(I01_01_01.png).  Despite its name the dmos column is a mean opinion
score on 1..5 where higher is better: run `maso-eval mos OUT.csv`."""
import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mosutil  # noqa: E402


def main():
    root, out, base = mosutil.arguments(__doc__)
    table = os.path.join(root, "dmos.csv")
    if not os.path.exists(table):
        mosutil.fail("%s: missing" % table)
    rows = []
    with open(table, newline="") as f:
        reader = csv.DictReader(f)
        need = {"dist_img", "ref_img", "dmos"}
        if not need <= set(reader.fieldnames or []):
            mosutil.fail("%s: expected the columns %s, found %s"
                         % (table, ", ".join(sorted(need)), reader.fieldnames))
        for r in reader:
            ref = mosutil.find_file(os.path.join(root, "images"), r["ref_img"])
            dist = mosutil.find_file(os.path.join(root, "images"), r["dist_img"])
            rows.append((os.path.relpath(ref, base), os.path.relpath(dist, base),
                         float(r["dmos"])))
    mosutil.write_csv(out, rows)


if __name__ == "__main__":
    main()
