#!/usr/bin/env python3
# planted_dupes.py -- score near-duplicate groups on a planted collection
# (bench/planted_dupes.sh): files named STEM.EXT for an original,
# STEM_EDIT.EXT for its copies, anything else in the unrelated folder.
#
#   planted_dupes.py score NAME GROUPS_FILE COPIES_DIR UNRELATED_DIR
#       GROUPS_FILE: one group a line, members separated by tabs (paths);
#       prints one Markdown row: groups, pair recall, pair precision,
#       copies not joined to their original by edit, false pairs.
#   planted_dupes.py hash dhash|phash THRESHOLD FILE... > GROUPS_FILE
#       the connected components of the pairs within THRESHOLD bits of a
#       64-bit dHash or pHash (pixels through ImageMagick's convert, the
#       hashes computed here from their published definitions).
#   planted_dupes.py maso JSON_FILE > GROUPS_FILE
#       the groups of maso-query --duplicates --json.
import collections
import json
import math
import os
import subprocess
import sys

EDITS = ["jpeg60", "half", "crop10", "rot3", "mirror", "bright25", "frame", "rot90"]


def photo(path, unrelated):
    stem = os.path.splitext(os.path.basename(path))[0]
    if os.path.basename(path) in unrelated:
        return ("unrelated:" + stem, None)
    for e in EDITS:
        if stem.endswith("_" + e):
            return stem[: -len(e) - 1], e
    return stem, None


def score(name, groups_file, copies, unrelated_dir):
    unrelated = set(os.listdir(unrelated_dir))
    files = [photo(f, unrelated) for f in os.listdir(copies)]
    files += [photo(f, unrelated) for f in unrelated]
    by = collections.Counter(p for p, _ in files)
    truth = sum(n * (n - 1) // 2 for n in by.values())
    group_of = {}
    got = good = 0
    false_pairs = collections.Counter()
    groups = [l.rstrip("\n").split("\t") for l in open(groups_file) if l.strip()]
    for g, members in enumerate(groups):
        names = [photo(m, unrelated) for m in members]
        for n in names:
            group_of[n] = g
        got += len(names) * (len(names) - 1) // 2
        c = collections.Counter(p for p, _ in names)
        good += sum(n * (n - 1) // 2 for n in c.values())
        ps = sorted(c)
        for i in range(len(ps)):
            for j in range(i + 1, len(ps)):
                false_pairs["%s+%s" % (ps[i], ps[j])] += c[ps[i]] * c[ps[j]]
    missed = collections.Counter(e for p, e in files if e and
                                 group_of.get((p, e), -1) != group_of.get((p, None), -2))
    print("| %s | %d | %.3f | %.3f | %s | %s |" % (
        name, len(groups), good / truth, good / got if got else 1.0,
        ", ".join("%s %d" % kv for kv in sorted(missed.items())) or "none",
        false_list(false_pairs)))


def false_list(false_pairs):
    # the photos wrongly joined, most false pairs first (at most 4)
    top = sorted(false_pairs.items(), key=lambda kv: -kv[1])
    text = ", ".join("%s (%d)" % kv for kv in top[:4]) or "none"
    return text + (", ... %d more" % (len(top) - 4) if len(top) > 4 else "")


def grey(path, w, h):
    out = subprocess.run(["convert", path + "[0]", "-auto-orient", "-colorspace", "Gray",
                          "-resize", "%dx%d!" % (w, h), "-depth", "8", "gray:-"],
                         check=True, capture_output=True).stdout
    return [[out[y * w + x] for x in range(w)] for y in range(h)]


def dhash(path):
    # Krawetz's difference hash: 9x8 grey, is each pixel brighter than its
    # right neighbour.
    p = grey(path, 9, 8)
    return [1 if p[y][x] > p[y][x + 1] else 0 for y in range(8) for x in range(8)]


def phash(path):
    # pHash (Zauner 2010, imagehash's form): 32x32 grey, 2-D DCT-II, the 8x8
    # lowest frequencies, each above their median.
    n = 32
    p = grey(path, n, n)
    c = [[math.cos(math.pi * (2 * x + 1) * u / (2 * n)) for x in range(n)] for u in range(8)]
    rows = [[sum(p[y][x] * c[u][x] for x in range(n)) for u in range(8)] for y in range(n)]
    d = [sum(rows[y][u] * c[v][y] for y in range(n)) for v in range(8) for u in range(8)]
    med = sorted(d)[len(d) // 2 - 1: len(d) // 2 + 1]
    m = (med[0] + med[1]) / 2
    return [1 if v > m else 0 for v in d]


def hash_groups(kind, threshold, paths):
    f = dhash if kind == "dhash" else phash
    hs = [f(p) for p in paths]
    parent = list(range(len(paths)))

    def root(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for i in range(len(paths)):
        for j in range(i + 1, len(paths)):
            if sum(a != b for a, b in zip(hs[i], hs[j])) <= threshold:
                ri, rj = root(i), root(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    comp = collections.defaultdict(list)
    for i, p in enumerate(paths):
        comp[root(i)].append(p)
    for members in comp.values():
        if len(members) > 1:
            print("\t".join(members))


def main():
    if sys.argv[1] == "score":
        score(*sys.argv[2:6])
    elif sys.argv[1] == "hash":
        hash_groups(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    elif sys.argv[1] == "maso":
        for line in open(sys.argv[2]):
            print("\t".join(json.loads(line)["group"]))


main()
