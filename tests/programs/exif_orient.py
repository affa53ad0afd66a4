# exif_orient.py MODE SRC DST ORIENTATION -- write an EXIF orientation the
# way each format carries it: MODE jpeg (an APP1 "Exif" segment after SOI),
# png (an eXIf chunk after IHDR), tiff (the bare EXIF TIFF block, SRC "-",
# as webpmux -set exif takes it).  Used by make_format_fixtures.sh.
import struct
import sys
import zlib


def tiff_block(orientation):
    """Little-endian TIFF header and IFD0 holding one entry: Orientation."""
    return (b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) +
            struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) +
            struct.pack("<I", 0))


mode, src, dst, orientation = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
block = tiff_block(orientation)
if mode == "tiff":
    out = block
else:
    data = open(src, "rb").read()
    if mode == "jpeg":
        assert data[:2] == b"\xff\xd8"
        payload = b"Exif\x00\x00" + block
        out = data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]
    elif mode == "png":
        assert data[12:16] == b"IHDR"
        crc = zlib.crc32(b"eXIf" + block) & 0xFFFFFFFF
        chunk = struct.pack(">I", len(block)) + b"eXIf" + block + struct.pack(">I", crc)
        end = 8 + 8 + 13 + 4
        out = data[:end] + chunk + data[end:]
    else:
        sys.exit("unknown mode " + mode)
open(dst, "wb").write(out)
