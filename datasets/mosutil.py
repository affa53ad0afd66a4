"""mosutil.py -- what the datasets/*/to_csv.py converters share (Python 3
standard library only): the output CSV, and BMP to PNG conversion, since
maso reads PNG and JPEG while TID and LIVE ship Windows bitmaps."""
import csv
import os
import struct
import sys
import zlib


def fail(msg):
    sys.stderr.write("to_csv: %s\n" % msg)
    sys.exit(2)


def arguments(doc):
    """(root, out, base) from the command line "DIR [OUT.csv]": the data
    folder, the CSV to write (default DIR/maso.csv) and the CSV's folder,
    which the paths in it are relative to.  doc's usage line on error."""
    if len(sys.argv) not in (2, 3):
        fail(next(l for l in doc.splitlines() if l.startswith("usage:")))
    root = os.path.abspath(sys.argv[1])
    out = os.path.abspath(sys.argv[2]) if len(sys.argv) == 3 else os.path.join(root, "maso.csv")
    return root, out, os.path.dirname(out)


def read_bmp(path):
    """(width, height, rows of RGB bytes) of an uncompressed BMP: 24 or 32
    bits per pixel, or 8 bits with a palette; bottom-up or top-down."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 54 or data[:2] != b"BM":
        fail("%s: not a BMP file" % path)
    offset, = struct.unpack_from("<I", data, 10)
    hsize, w, h, planes, bpp, comp = struct.unpack_from("<IiiHHI", data, 14)
    if comp not in (0, 3) or bpp not in (8, 24, 32) or w <= 0 or h == 0:
        fail("%s: BMP with %d bits per pixel, compression %d: not supported"
             % (path, bpp, comp))
    palette = None
    if bpp == 8:
        colours, = struct.unpack_from("<I", data, 46)
        colours = colours or 256
        p = 14 + hsize
        palette = [data[p + 4 * i:p + 4 * i + 3][::-1] for i in range(colours)]
    stride = (w * bpp // 8 + 3) & ~3
    rows = []
    for y in range(abs(h)):
        src = y if h < 0 else abs(h) - 1 - y
        start = offset + src * stride
        line = data[start:start + w * bpp // 8]
        if len(line) < w * bpp // 8:
            fail("%s: truncated BMP" % path)
        if bpp == 8:
            rows.append(b"".join(palette[b] for b in line))
        else:
            step = bpp // 8
            out = bytearray(w * 3)
            out[0::3] = line[2::step]
            out[1::3] = line[1::step]
            out[2::3] = line[0::step]
            rows.append(bytes(out))
    return w, abs(h), rows


def write_png(path, w, h, rows):
    def chunk(kind, body):
        c = struct.pack(">I", len(body)) + kind + body
        return c + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)
    raw = b"".join(b"\0" + r for r in rows)
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(png)
    os.replace(tmp, path)


def as_png(src, png_dir, root):
    """Path (relative to root) of a PNG copy of image src: BMPs are
    converted once into png_dir, other files are used as they are."""
    if not os.path.isfile(src):
        fail("%s: missing" % src)
    if not src.lower().endswith(".bmp"):
        return os.path.relpath(src, root)
    os.makedirs(png_dir, exist_ok=True)
    dst = os.path.join(png_dir, os.path.splitext(os.path.basename(src))[0] + ".png")
    if not os.path.exists(dst):
        write_png(dst, *read_bmp(src))
    return os.path.relpath(dst, root)


def find_file(folder, name):
    """folder/name, matched without regard to case (TID names its
    reference I01.BMP but writes i01 in the score files)."""
    exact = os.path.join(folder, name)
    if os.path.exists(exact):
        return exact
    low = name.lower()
    for entry in os.listdir(folder):
        if entry.lower() == low:
            return os.path.join(folder, entry)
    fail("%s: missing" % exact)


def write_csv(path, rows):
    """rows: (reference, distorted, score) with paths relative to the
    CSV's folder, as maso-eval mos reads them."""
    if not rows:
        fail("no pairs found")
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["reference", "distorted", "score"])
        for r in rows:
            w.writerow([r[0], r[1], repr(float(r[2]))])
    os.replace(tmp, path)
    sys.stderr.write("to_csv: %d pairs -> %s\n" % (len(rows), path))
