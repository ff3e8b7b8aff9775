"""A tiny PNG line chart (zlib + struct, no plotting library): growth of time and calls with N."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

W, H, M = 640, 400, 50
WHITE, GREY, BLACK = (255, 255, 255), (190, 190, 190), (0, 0, 0)
SERIES = {  # label -> colour
    "plan time": (220, 50, 47), "plan calls": (38, 139, 210),
    "apply time": (203, 75, 22), "apply calls": (42, 161, 152),
}

# 3x5 digits and a few letters for axis labels
FONT = {
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
    "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001001001",
    "8": "111101111101111", "9": "111101111001111", "N": "101111111111101", "x": "000101010101000",
    "=": "000111000111000", ".": "000000000000010",
}


class Canvas:
    def __init__(self, w: int, h: int):
        self.w, self.h = w, h
        self.px = [bytearray(WHITE * w) for _ in range(h)]

    def dot(self, x: int, y: int, c: tuple[int, int, int], size: int = 1) -> None:
        for dx in range(size):
            for dy in range(size):
                xx, yy = x + dx, y + dy
                if 0 <= xx < self.w and 0 <= yy < self.h:
                    self.px[yy][3 * xx:3 * xx + 3] = bytes(c)

    def line(self, x0: int, y0: int, x1: int, y1: int, c: tuple[int, int, int], width: int = 2) -> None:
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            self.dot(x0, y0, c, width)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def text(self, x: int, y: int, s: str, c: tuple[int, int, int] = BLACK, scale: int = 2) -> None:
        for ch in s:
            glyph = FONT.get(ch)
            if glyph:
                for i, bit in enumerate(glyph):
                    if bit == "1":
                        self.dot(x + (i % 3) * scale, y + (i // 3) * scale, c, scale)
            x += 4 * scale

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(row) for row in self.px)

        def chunk(tag: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def scaling_png(rows: list[dict[str, Any]], path: Path) -> None:
    """Each series divided by its value at the smallest N, against N / smallest N (log-free, linear axes)."""
    rows = sorted(rows, key=lambda r: r["n"])
    n0 = rows[0]["n"]
    xs = [r["n"] / n0 for r in rows]
    series = {
        "plan time": [r["plan"]["wall"] for r in rows], "plan calls": [r["plan"]["calls"] for r in rows],
        "apply time": [r["apply"]["wall"] for r in rows], "apply calls": [r["apply"]["calls"] for r in rows],
    }
    norm = {k: [v / max(1e-9, vals[0]) for v in vals] for k, vals in series.items()}
    ymax = max(max(xs), *(max(v) for v in norm.values())) * 1.05
    xmax = max(xs) * 1.05
    cv = Canvas(W, H)

    def X(v: float) -> int:
        return int(M + (W - 2 * M) * v / xmax)

    def Y(v: float) -> int:
        return int(H - M - (H - 2 * M) * v / ymax)

    cv.line(M, H - M, W - M, H - M, BLACK, 1)
    cv.line(M, M, M, H - M, BLACK, 1)
    cv.line(X(0), Y(0), X(xmax), Y(xmax), GREY, 1)  # exact linear growth
    for x, r in zip(xs, rows, strict=True):
        cv.line(X(x), H - M, X(x), H - M + 5, BLACK, 1)
        cv.text(X(x) - 8, H - M + 10, str(r["n"]))
    for tick in range(0, int(ymax) + 1, max(1, int(ymax) // 6)):
        cv.line(M - 5, Y(tick), M, Y(tick), BLACK, 1)
        cv.text(8, Y(tick) - 5, f"{tick}x")
    for label, colour in SERIES.items():
        pts = [(X(x), Y(y)) for x, y in zip(xs, norm[label], strict=True)]
        for (a, b), (c, d) in zip(pts, pts[1:], strict=False):
            cv.line(a, b, c, d, colour, 2)
        for a, b in pts:
            cv.dot(a - 3, b - 3, colour, 7)
    # legend: coloured bars in the top-left, order as SERIES (plan time, plan calls, apply time, apply calls)
    for i, colour in enumerate(SERIES.values()):
        cv.line(M + 10, M + 10 + 12 * i, M + 40, M + 10 + 12 * i, colour, 4)
    path.write_bytes(cv.png())
