#!/bin/sh
# Rebuilds the fonts in this folder from Debian's Noto packages (see README.md).
#   apt-get install fonts-noto-core fonts-noto-cjk
#   sh learning/core/fonts/subset.sh .venv/bin/python
# Needs fontTools (a dependency of fpdf2) in the given Python.
set -eu
PY=${1:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)
CORE=/usr/share/fonts/truetype/noto
CJK=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
KEEP="--layout-features=* --no-hinting --name-IDs=* --name-languages=* --notdef-outline"

# Latin (with Vietnamese and IPA), Greek, Cyrillic; Arabic; Devanagari: every character the
# font has, only the hinting instructions dropped.
for f in NotoSerif-Regular NotoSerif-Bold NotoSans-Regular NotoSans-Bold \
         NotoNaskhArabic-Regular NotoNaskhArabic-Bold \
         NotoSansDevanagari-Regular NotoSansDevanagari-Bold; do
    "$PY" -m fontTools.subset "$CORE/$f.ttf" --unicodes='*' $KEEP --output-file="$HERE/$f.ttf"
done

# CJK: face 0 of the collection (Noto Sans CJK JP), one weight, subset to ASCII, Latin-1,
# punctuation, Hangul (all 11,172 syllables and the jamo), kana, CJK punctuation, full/half-width
# forms, and the Han characters of GB 2312 and JIS X 0208 (9,788 ideographs: nearly all Chinese
# and Japanese names).
HAN=$("$PY" -c "
import sys
def enc(e):
    out = set()
    for c in range(0x4E00, 0xA000):
        try:
            chr(c).encode(e)
        except UnicodeEncodeError:
            continue
        out.add(c)
    return out
sys.stdout.write(','.join('U+%04X' % c for c in sorted(enc('gb2312') | enc('shift_jis'))))
")
BASE="U+0020-007E,U+00A0-00FF,U+2000-206F,U+3000-303F,U+3040-30FF,U+31F0-31FF,U+FF00-FFEF"
HANGUL="U+1100-11FF,U+3130-318F,U+A960-A97F,U+D7B0-D7FF,U+AC00-D7A3"
"$PY" -m fontTools.subset "$CJK" --font-number=0 --unicodes="$BASE,$HANGUL,$HAN" $KEEP \
    --output-file="$HERE/NotoSansCJKjp-Regular-subset.otf"
