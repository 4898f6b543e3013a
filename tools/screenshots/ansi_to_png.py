#!/usr/bin/env python3
"""Renders a `tmux capture-pane -e -p` capture (text with SGR colour codes) to a PNG, one cell
per character in DejaVu Sans Mono, so a theme can be checked by eye without a display server.

    ansi_to_png.py CAPTURE.ansi OUT.png [--light]

--light: the terminal's own default colours are a light terminal's (black on white), as a light
theme is used; otherwise a dark terminal's. Needs Pillow.
"""
import re
import sys
import unicodedata

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 14

# xterm's 16 colours
BASE16 = [
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205),
    (0, 205, 205), (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
    (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
]


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


def cells(text, default_fg, default_bg):
    """Rows of (char, fg, bg, bold, underline) cells."""
    rows = []
    # tmux carries attributes from one line to the next (it only emits changes)
    fg, bg, bold, dim, rev, under = None, None, False, False, False, False
    for line in text.split("\n"):
        row = []
        for part in re.split(r"(\x1b\[[0-9;:]*m)", line):
            if part.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in re.split("[;:]", part[2:-1])] or [0]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        fg, bg, bold, dim, rev, under = None, None, False, False, False, False
                    elif c == 1:
                        bold = True
                    elif c == 2:
                        dim = True
                    elif c == 4:
                        under = True
                    elif c == 7:
                        rev = True
                    elif c == 22:
                        bold = dim = False
                    elif c == 24:
                        under = False
                    elif c == 27:
                        rev = False
                    elif 30 <= c <= 37:
                        fg = BASE16[c - 30]
                    elif 90 <= c <= 97:
                        fg = BASE16[c - 90 + 8]
                    elif 40 <= c <= 47:
                        bg = BASE16[c - 40]
                    elif 100 <= c <= 107:
                        bg = BASE16[c - 100 + 8]
                    elif c == 39:
                        fg = None
                    elif c == 49:
                        bg = None
                    elif c in (38, 48) and i + 1 < len(codes):
                        if codes[i + 1] == 5 and i + 2 < len(codes):
                            col = xterm256(codes[i + 2])
                            i += 2
                        elif codes[i + 1] == 2 and i + 4 < len(codes):
                            col = tuple(codes[i + 2:i + 5])
                            i += 4
                        else:
                            col = None
                        if c == 38:
                            fg = col
                        else:
                            bg = col
                    i += 1
                continue
            for ch in part:
                f = fg or default_fg
                b = bg or default_bg
                if dim:
                    f = tuple((x + y) // 2 for x, y in zip(f, b))
                if rev:
                    f, b = b, f
                row.append((ch, f, b, bold, under))
                if unicodedata.east_asian_width(ch) in "WF":
                    row.append(("", f, b, bold, under))
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def main():
    src, out = sys.argv[1], sys.argv[2]
    light = "--light" in sys.argv[3:]
    default_fg, default_bg = ((0, 0, 0), (255, 255, 255)) if light else ((208, 208, 208), (24, 24, 24))
    text = open(src, encoding="utf-8").read()
    rows = cells(text, default_fg, default_bg)
    font = ImageFont.truetype(FONT, SIZE)
    bold_font = ImageFont.truetype(FONT_BOLD, SIZE)
    ascent, descent = font.getmetrics()
    cw = round(font.getlength("M"))
    # tall enough for descenders and underscores, with the underline below them
    ch = ascent + descent + 3
    width = max(len(r) for r in rows)
    img = Image.new("RGB", (width * cw, len(rows) * ch), default_bg)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(rows):
        for x, (c, f, b, bold, under) in enumerate(row):
            x0, y0 = x * cw, y * ch
            draw.rectangle([x0, y0, x0 + cw - 1, y0 + ch - 1], fill=b)
            if c.strip():
                draw.text((x0, y0 + 1), c, font=bold_font if bold else font, fill=f)
            if under:
                draw.line([x0, y0 + ch - 2, x0 + cw - 1, y0 + ch - 2], fill=f)
    img.save(out)


if __name__ == "__main__":
    main()
