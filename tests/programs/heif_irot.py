# heif_irot.py SRC DST ANGLE -- a copy of the HEIF file SRC whose primary
# image carries an 'irot' property (rotation by ANGLE * 90 degrees
# anti-clockwise), as cameras and phones write it: the box is added to
# 'ipco', associated with the primary item in 'ipma', and the file offsets
# in 'iloc' are moved by the bytes inserted before the media data.  Written
# from ISO/IEC 14496-12 and 23008-12 (no library writes irot from Debian's
# heif-enc 1.15).  Used by make_format_fixtures.sh.
import struct
import sys


def boxes(data, start, end):
    """(type, start, header_size, end) of the boxes in data[start:end]."""
    out = []
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        head = 8
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
            head = 16
        elif size == 0:
            size = end - pos
        out.append((kind.decode("latin-1"), pos, head, pos + size))
        pos += size
    return out


def find(data, start, end, kind):
    for b in boxes(data, start, end):
        if b[0] == kind:
            return b
    sys.exit("no %s box" % kind)


def read_uint(data, pos, size):
    return int.from_bytes(data[pos:pos + size], "big") if size else 0


def main():
    src, dst, angle = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = bytearray(open(src, "rb").read())
    meta = find(data, 0, len(data), "meta")
    body = meta[1] + meta[2] + 4  # a full box: version and flags
    pitm = find(data, body, meta[3], "pitm")
    primary = struct.unpack(">H", data[pitm[1] + 12:pitm[1] + 14])[0]
    iprp = find(data, body, meta[3], "iprp")
    ipco = find(data, iprp[1] + 8, iprp[3], "ipco")
    ipma = find(data, iprp[1] + 8, iprp[3], "ipma")
    n_props = len(boxes(data, ipco[1] + 8, ipco[3]))
    irot = struct.pack(">I4sB", 9, b"irot", angle & 3)

    # ipma: find the primary item's entry, add the association (essential).
    version, flags = data[ipma[1] + 8], int.from_bytes(data[ipma[1] + 9:ipma[1] + 12], "big")
    pos = ipma[1] + 12
    count = struct.unpack(">I", data[pos:pos + 4])[0]
    pos += 4
    insert_assoc = None
    for _ in range(count):
        id_size = 2 if version < 1 else 4
        item = read_uint(data, pos, id_size)
        pos += id_size
        n = data[pos]
        wide = flags & 1
        if item == primary:
            count_at = pos
            insert_assoc = pos + 1 + n * (2 if wide else 1)
            assoc = (0x8000 | (n_props + 1)).to_bytes(2, "big") if wide else bytes([0x80 | (n_props + 1)])
        pos += 1 + n * (2 if wide else 1)
    if insert_assoc is None:
        sys.exit("primary item %d has no properties" % primary)

    delta = len(irot) + len(assoc)
    # iloc offsets of data after meta move by delta.
    iloc = find(data, body, meta[3], "iloc")
    p = iloc[1] + 8
    iv = data[p]
    p += 4
    offset_size, length_size = data[p] >> 4, data[p] & 15
    base_size, index_size = data[p + 1] >> 4, (data[p + 1] & 15) if iv in (1, 2) else 0
    p += 2
    n_items = read_uint(data, p, 2 if iv < 2 else 4)
    p += 2 if iv < 2 else 4
    for _ in range(n_items):
        p += 2 if iv < 2 else 4
        method = 0
        if iv in (1, 2):
            method = read_uint(data, p, 2) & 15
            p += 2
        p += 2  # data_reference_index
        base_at = p
        base = read_uint(data, p, base_size)
        p += base_size
        n_ext = read_uint(data, p, 2)
        p += 2
        for _ in range(n_ext):
            p += index_size
            if method == 0 and base_size == 0 and offset_size:
                off = read_uint(data, p, offset_size) + delta
                data[p:p + offset_size] = off.to_bytes(offset_size, "big")
            p += offset_size + length_size
        if method == 0 and base_size:
            data[base_at:base_at + base_size] = (base + delta).to_bytes(base_size, "big")

    # Grow the enclosing boxes (their size fields lie before both insertion
    # points), then insert, the later offset first (ipma follows ipco).
    assert ipma[1] >= ipco[3]
    for box, grow in ((ipma, len(assoc)), (ipco, len(irot)), (iprp, delta), (meta, delta)):
        size = struct.unpack(">I", data[box[1]:box[1] + 4])[0]
        data[box[1]:box[1] + 4] = struct.pack(">I", size + grow)
    data[count_at] += 1
    data[insert_assoc:insert_assoc] = assoc
    data[ipco[3]:ipco[3]] = irot
    open(dst, "wb").write(data)


main()
