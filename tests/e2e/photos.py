"""Eight photos as they come off a phone, made at test time (issue 13).

Big files are generated, not committed: libvips' command line tool
(`vips`, Debian libvips-tools) draws them, and this module adds what a phone
adds: an EXIF block with orientation 6 and GPS coordinates, and an XMP
packet, so a test can check that every variant lost them.

    make_photos(folder) -> {name: path}

Names: portrait.jpg (3024x4032 shown, stored 4032x3024 + EXIF orientation
6), clear.png (RGBA, transparent corners), big.jpg (about 5 MB),
photo.webp, still.gif, tiny.jpg (200 px wide), panorama.jpg (6000x1000),
and photo.heic when this libvips can write and read HEIC.
"""
import os
import shutil
import struct
import subprocess
import zlib

GPS_MARK = b"RitualGPS"
XMP_MARK = b"ritual-xmp-marker"


def have_vips():
    return shutil.which("vips") is not None


def vips(*args):
    subprocess.run(["vips"] + [str(a) for a in args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def heif_supported():
    try:
        out = subprocess.run(["vips", "-l"], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    return "heifload_buffer" in out and "heifsave" in out


def _picture(folder, name, w, h, sigma=25):
    """A w x h sRGB picture: a smooth colour field with grain (compresses
    like a photo, unlike flat colour)."""
    base = os.path.join(folder, name)
    bands = []
    for i, mean in enumerate((150, 110, 80)):
        n = base + ".n%d.v" % i
        vips("gaussnoise", n, w, h, "--sigma", sigma, "--mean", mean)
        bands.append(n)
    joined = base + ".j.v"
    vips("bandjoin", " ".join(bands), joined)
    out = base + ".v"
    vips("cast", joined, out, "uchar")
    for f in bands + [joined]:
        os.unlink(f)
    return out


def _exif(orientation):
    """A big-endian TIFF/EXIF block: IFD0 with Orientation and a GPS IFD
    pointer; the GPS IFD holds GPSLatitudeRef 'N' and a marker string."""
    entries0 = 2
    ifd0 = 8
    gps = ifd0 + 2 + entries0 * 12 + 4
    t = b"MM\x00\x2a" + struct.pack(">I", ifd0)
    t += struct.pack(">H", entries0)
    t += struct.pack(">HHII", 0x0112, 3, 1, orientation << 16)
    t += struct.pack(">HHII", 0x8825, 4, 1, gps)
    t += struct.pack(">I", 0)
    mark_off = gps + 2 + 2 * 12 + 4
    t += struct.pack(">H", 2)
    t += struct.pack(">HHI", 0x0001, 2, 2) + b"N\x00\x00\x00"
    t += struct.pack(">HHII", 0x001B, 7, len(GPS_MARK), mark_off)
    t += struct.pack(">I", 0)
    t += GPS_MARK
    return b"Exif\x00\x00" + t


def _xmp():
    return (b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'>"
            + XMP_MARK + b"</x:xmpmeta>")


def add_phone_metadata(path, orientation=1):
    """Insert EXIF (orientation, GPS) and XMP APP1 segments after SOI."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:2] == b"\xff\xd8"
    # Drop the APP0/APP1 segments libvips wrote, keep the rest.
    pos = 2
    while data[pos] == 0xFF and data[pos + 1] in (0xE0, 0xE1):
        seg = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        pos += 2 + seg
    segs = b""
    for payload in (_exif(orientation), _xmp()):
        segs += b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    with open(path, "wb") as f:
        f.write(b"\xff\xd8" + segs + data[pos:])


def _png_rgba(path, w, h):
    """An RGBA PNG: opaque warm centre, transparent corners (a logo cut out)."""
    rows = bytearray()
    cx, cy, r2 = w / 2, h / 2, (min(w, h) / 2) ** 2
    for y in range(h):
        rows.append(0)
        for x in range(w):
            inside = (x - cx) ** 2 + (y - cy) ** 2 <= r2
            rows += bytes((200, 90 + (x * 100 // w), 60 + (y * 100 // h),
                           255 if inside else 0))

    def chunk(kind, body):
        c = struct.pack(">I", len(body)) + kind + body
        return c + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)))
        f.write(chunk(b"tEXt", b"Comment\x00" + XMP_MARK))
        f.write(chunk(b"IDAT", zlib.compress(bytes(rows), 6)))
        f.write(chunk(b"IEND", b""))


def make_photos(folder, only=None):
    """All eight (or those named in only) into folder."""
    os.makedirs(folder, exist_ok=True)
    out = {}
    want = (lambda n: True) if only is None else (lambda n: n in only)

    if want("portrait.jpg"):
        p = _picture(folder, "portrait", 4032, 3024, sigma=12)
        out["portrait.jpg"] = os.path.join(folder, "portrait.jpg")
        vips("jpegsave", p, out["portrait.jpg"], "--Q", 80)
        add_phone_metadata(out["portrait.jpg"], orientation=6)
        os.unlink(p)

    if want("clear.png"):
        out["clear.png"] = os.path.join(folder, "clear.png")
        _png_rgba(out["clear.png"], 900, 700)

    if want("big.jpg"):
        p = _picture(folder, "big", 4000, 3000, sigma=18)
        out["big.jpg"] = os.path.join(folder, "big.jpg")
        vips("jpegsave", p, out["big.jpg"], "--Q", 88)
        add_phone_metadata(out["big.jpg"])
        os.unlink(p)

    if want("photo.webp"):
        p = _picture(folder, "webp", 1600, 1200, sigma=10)
        out["photo.webp"] = os.path.join(folder, "photo.webp")
        vips("webpsave", p, out["photo.webp"], "--Q", 80)
        os.unlink(p)

    if want("still.gif"):
        p = _picture(folder, "gif", 640, 640, sigma=6)
        out["still.gif"] = os.path.join(folder, "still.gif")
        vips("gifsave", p, out["still.gif"])
        os.unlink(p)

    if want("tiny.jpg"):
        p = _picture(folder, "tiny", 200, 150, sigma=10)
        out["tiny.jpg"] = os.path.join(folder, "tiny.jpg")
        vips("jpegsave", p, out["tiny.jpg"], "--Q", 85)
        add_phone_metadata(out["tiny.jpg"])
        os.unlink(p)

    if want("panorama.jpg"):
        p = _picture(folder, "pano", 6000, 1000, sigma=10)
        out["panorama.jpg"] = os.path.join(folder, "panorama.jpg")
        vips("jpegsave", p, out["panorama.jpg"], "--Q", 80)
        add_phone_metadata(out["panorama.jpg"])
        os.unlink(p)

    if want("photo.heic") and heif_supported():
        p = _picture(folder, "heic", 2016, 1512, sigma=8)
        out["photo.heic"] = os.path.join(folder, "photo.heic")
        try:
            vips("heifsave", p, out["photo.heic"], "--Q", 60)
        except subprocess.CalledProcessError:
            del out["photo.heic"]
        os.unlink(p)
    return out


if __name__ == "__main__":
    import sys
    for name, path in make_photos(sys.argv[1]).items():
        print("%-14s %9d bytes" % (name, os.path.getsize(path)))
