# SPDX-License-Identifier: GPL-2.0-or-later
"""xwd2png.py IN.xwd OUT.png: an X window dump (xwd, ZPixmap, TrueColor, 24 or 32 bits per
pixel) as a PNG, through GdkPixbuf (Debian's /usr/bin/python3 has gi).  Used by
screenshot-editor.sh; no ImageMagick needed."""

import struct
import sys

import gi

gi.require_version("GdkPixbuf", "2.0")
from gi.repository import GdkPixbuf, GLib  # noqa: E402

HEADER_FIELDS = 25  # CARD32s of an XWD version 7 header
ZPIXMAP = 2


def shift_of(mask):
    """The right shift and the width of a colour mask."""
    shift = 0
    while mask and not mask & 1:
        mask >>= 1
        shift += 1
    width = 0
    while mask & 1:
        mask >>= 1
        width += 1
    return shift, width


def main(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    head = struct.unpack(">%dI" % HEADER_FIELDS, data[: HEADER_FIELDS * 4])
    (header_size, version, pixmap_format, _depth, width, height, _xoffset, byte_order,
     _unit, _bit_order, _pad, bpp, bytes_per_line, _visual_class, red_mask, green_mask,
     blue_mask, _bits_per_rgb, _cmap_entries, ncolors) = head[:20]
    if version != 7 or pixmap_format != ZPIXMAP or bpp not in (24, 32):
        sys.exit("xwd2png: only XWD version 7, ZPixmap, 24/32 bits per pixel (got version %d, "
                 "format %d, %d bpp)" % (version, pixmap_format, bpp))
    step = bpp // 8
    pixels = data[header_size + ncolors * 12:]
    if len(pixels) < bytes_per_line * height:
        sys.exit("xwd2png: the dump is cut short")
    # the byte of each colour inside a pixel (masks are 8 bits wide on any usual visual)
    offsets = []
    for mask in (red_mask, green_mask, blue_mask):
        shift, bits = shift_of(mask)
        if bits != 8 or shift % 8:
            sys.exit("xwd2png: colour masks of 8 bits on byte boundaries only")
        byte = shift // 8
        offsets.append(byte if byte_order == 0 else step - 1 - byte)
    rgb = bytearray(width * height * 3)
    row_px = width * step
    for y in range(height):
        row = pixels[y * bytes_per_line: y * bytes_per_line + row_px]
        out = y * width * 3
        for c, off in enumerate(offsets):
            rgb[out + c: out + width * 3: 3] = row[off::step]
    pixbuf = GdkPixbuf.Pixbuf.new_from_bytes(GLib.Bytes.new(bytes(rgb)), GdkPixbuf.Colorspace.RGB,
                                             False, 8, width, height, width * 3)
    pixbuf.savev(dst, "png", [], [])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
