#!/usr/bin/env python3
"""store_damage.py -- damage copies of a store (one flipped bit, or a run
of random bytes, each), and
check that every copy whose answers change is caught by --check.

usage: store_damage.py MASO_INDEX MASO_QUERY SHARED_DIR TMPDIR TRIALS MODE
  MODE values:   flip a byte inside the values maso writes (sketch blocks,
                 records), found in data.mdb by their layout; what CI runs.
  MODE anywhere: flip any byte of the file's used pages (LMDB's own page
                 structure included, which has no checksums of its own).
Per trial: maso-query on three of the images (3 matches each) and
maso-query --info --check.  A trial's answers "change" when the query
output differs from the undamaged store's while the query succeeds; they
are "refused" when the query fails with a message.  Prints the tallies;
fails when a changed answer went unflagged by --check, or a program was
killed by a signal.
"""
import glob
import json
import os
import random
import shutil
import struct
import subprocess
import sys


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def value_ranges(data, paths):
    """Byte ranges of sketch blocks and records inside data.mdb."""
    ranges = []
    at = data.find(b"MBK1")
    while at >= 0:
        b, stride, sums_off, sk_off = (struct.unpack_from("<I", data, at + o)[0] for o in (4, 16, 24, 28))
        if 8 <= b <= 512 and sk_off + b * stride < len(data) - at:
            bits = data[at + 48:at + 48 + 64]
            present = [i for i in range(b) if bits[i // 8] >> (i % 8) & 1]
            ranges.append((at, at + sums_off))  # header, bitmap, slot sums
            summary = (sk_off - sums_off) // b
            for i in present:
                ranges.append((at + sums_off + i * summary, at + sums_off + (i + 1) * summary))
                ranges.append((at + sk_off + i * stride, at + sk_off + (i + 1) * stride))
        at = data.find(b"MBK1", at + 4)
    for p in paths:
        pb = p.encode() + b"\0"
        at = data.find(pb)
        while at >= 0:
            start = at - 32
            if start >= 0 and struct.unpack_from("<I", data, start + 4)[0] == len(pb) - 1:
                reason = struct.unpack_from("<I", data, start + 8)[0]
                ranges.append((start, at + len(pb) + reason + 1))
            at = data.find(pb, at + 1)
    return ranges


def main():
    index, query, shared, tmp, trials, mode = sys.argv[1:7]
    trials = int(trials)
    work = os.path.join(tmp, "store_damage")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    photos = sorted(glob.glob(os.path.join(shared, "images", "kodak", "*.png")))[:12]
    ref_db = os.path.join(work, "ref")
    rc, _, err = run([index, "-q", ref_db] + photos)
    assert rc == 0, err
    paths = [os.path.realpath(p) for p in photos]

    # Queries by image (coded by the network), so that the stored sketches
    # are read only by the scan, which does not verify them (cost): what
    # changes there must be caught by --check.
    def answers(db):
        return run([query, "--json", "-k", "3", db] + paths[:3])

    def check(db):
        rc, out, err = run([query, "--info", "--json", "--check", db])
        flagged = rc != 0
        if not flagged:
            flagged = json.loads(out).get("check") != "ok"
        return rc, flagged

    db = os.path.join(work, "damaged")
    shutil.copytree(ref_db, db)  # the reference answers name this path
    ref = answers(db)
    assert ref[0] == 0, ref[2]
    assert check(db) == (0, False)
    data = open(os.path.join(ref_db, "data.mdb"), "rb").read()
    if mode == "values":
        ranges = value_ranges(data, paths)
        assert ranges, "no values found in data.mdb"
        weights = [e - s for s, e in ranges]
    else:
        ranges, weights = [(0, len(data))], [1]
    rng = random.Random(20261201)
    tally = dict(trials=0, changed=0, changed_flagged=0, refused=0, flagged=0,
                 unchanged_unflagged=0, killed=0)
    for t in range(trials):
        shutil.rmtree(db, ignore_errors=True)
        shutil.copytree(ref_db, db)
        s, e = rng.choices(ranges, weights)[0]
        off = rng.randrange(s, e)
        # one flipped bit, or a run of up to 256 random bytes
        n = 1 if t % 2 == 0 else min(rng.randrange(1, 257), e - off)
        with open(os.path.join(db, "data.mdb"), "r+b") as f:
            f.seek(off)
            old = f.read(n)
            new = bytes([old[0] ^ (1 << rng.randrange(8))]) if n == 1 else \
                bytes(rng.randrange(256) for _ in range(n))
            f.seek(off)
            f.write(new)
        got = answers(db)
        crc, flagged = check(db)
        tally["trials"] += 1
        if got[0] < 0 or crc < 0:
            tally["killed"] += 1
            print("trial %d: offset %d: killed by signal %d (copy kept in %s.killed%d)"
                  % (t, off, -min(got[0], crc), db, t))
            shutil.copytree(db, "%s.killed%d" % (db, t))
            continue
        tally["flagged"] += flagged
        if got[0] == 2:
            tally["refused"] += 1
        elif got[1] != ref[1]:
            tally["changed"] += 1
            tally["changed_flagged"] += flagged
            if not flagged:
                print("trial %d: offset %d: answers changed, --check passed" % (t, off))
        elif not flagged:
            tally["unchanged_unflagged"] += 1
    print("store_damage (%s): %s" % (mode, json.dumps(tally)))
    assert tally["killed"] == 0, "a program was killed"
    assert tally["changed_flagged"] == tally["changed"], "a damaged store answered differently and passed --check"
    if mode == "values":
        assert tally["flagged"] + tally["unchanged_unflagged"] == trials
    print("store_damage.py: all checks passed")


main()
