#!/usr/bin/env bash
# tests/e2e/report_screenshot.sh — renders an HTML report in a real browser.
#
#   report_screenshot.sh HTML PNG DOM [WIDTH,HEIGHT]
#
# Renders HTML (a file) with Debian's headless chromium: a screenshot of the
# first WIDTH x HEIGHT pixels (default 1240,1754: an A4 page at 150 dpi) into
# PNG, and the page as the browser parsed it (--dump-dom) into DOM. Then
# decodes the PNG with python3 (zlib and struct only, no PIL) and prints one
# line:
#
#   png 1240x1754 bytes=301234 colours=1873
#
# where colours counts the distinct RGB(A) values of the rows decoded (the
# first 900 rows; a blank page has one or two). Exit status: 0 rendered,
# 2 usage, 3 chromium or python3 failed (their messages on stderr),
# 4 chromium is not installed (/usr/bin/chromium, or $CHROMIUM).
set -u

if [ "$#" -lt 3 ] || [ "$#" -gt 4 ]; then
    echo "usage: $0 HTML PNG DOM [WIDTH,HEIGHT]" >&2
    exit 2
fi
html=$1 png=$2 dom=$3 size=${4:-1240,1754}
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
    echo "$chromium is not installed (apt-get install chromium fonts-noto-cjk)" >&2
    exit 4
fi
if [ ! -f "$html" ]; then
    echo "$html: no such file" >&2
    exit 2
fi
case $html in
/*) ;;
*) html=$(cd "$(dirname "$html")" && pwd -P)/$(basename "$html") ;;
esac
case $png in
/*) ;;
*) png=$PWD/$png ;;
esac

profile=$(mktemp -d "${TMPDIR:-/tmp}/kaohe-chromium.XXXXXX") || exit 3
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --hide-scrollbars --user-data-dir="$profile" --window-size="$size")

# Chromium writes its own chatter on stderr; keep it for when it fails.
rm -f "$png"
if ! HOME=$profile timeout 120 "$chromium" "${flags[@]}" --screenshot="$png" \
    "file://$html" >"$profile/screenshot.log" 2>&1 || [ ! -s "$png" ]; then
    echo "chromium could not take the screenshot of $html:" >&2
    tail -n 20 "$profile/screenshot.log" >&2
    exit 3
fi
if ! HOME=$profile timeout 120 "$chromium" "${flags[@]}" --dump-dom "file://$html" \
    >"$dom" 2>"$profile/dom.log" || [ ! -s "$dom" ]; then
    echo "chromium could not dump the DOM of $html:" >&2
    tail -n 20 "$profile/dom.log" >&2
    exit 3
fi

python3 - "$png" <<'PY' || exit 3
import struct, sys, zlib

ROWS = 900  # rows decoded: enough for the header, key figures and a chart

def colours(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(path + ": not a PNG file")
    pos, idat, width = 8, [], 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                sys.exit("%s: unsupported PNG (depth %d, colour type %d, interlace %d)"
                         % (path, depth, ctype, interlace))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    raw = zlib.decompressobj().decompress(b"".join(idat))
    stride = width * bpp
    previous = bytearray(stride)
    seen = set()
    for y in range(min(height, ROWS)):
        start = y * (stride + 1)
        kind = raw[start]
        row = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 255
        elif kind == 2:
            row = bytearray((a + b) & 255 for a, b in zip(row, previous))
        elif kind == 3:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + ((left + previous[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = row[i - bpp] if i >= bpp else 0
                b = previous[i]
                c = previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                row[i] = (row[i] + pred) & 255
        elif kind != 0:
            sys.exit("%s: bad PNG filter %d on row %d" % (path, kind, y))
        seen.update(bytes(row[i:i + bpp]) for i in range(0, stride, bpp))
        previous = row
    return width, height, len(data), len(seen)

w, h, size, n = colours(sys.argv[1])
print("png %dx%d bytes=%d colours=%d" % (w, h, size, n))
PY
