"""Deterministic Pillow drawings of tattoos, clothing, jewellery and objects for demo appeals."""

from __future__ import annotations

import hashlib
import io
import math
import random
from collections.abc import Callable, Sequence
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

Pt = tuple[float, float]
Rgb = tuple[int, int, int]
Rgba = tuple[int, int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

WIDTH, HEIGHT = 600, 450
JPEG_QUALITY = 85
# Everything is drawn at twice the output size and scaled down: ImageDraw has no
# anti-aliasing, and the downscale is what makes lines look drawn rather than stamped.
_SS = 2
_CW, _CH = WIDTH * _SS, HEIGHT * _SS

TATTOO_MOTIFS: tuple[str, ...] = (
    "rose",
    "flower",
    "anchor",
    "swallow",
    "heart",
    "stars",
    "star",
    "butterfly",
    "dragon",
    "serpent",
    "koi",
    "skull",
    "cross",
    "compass",
    "text",
)
CLOTHING_ITEMS: tuple[str, ...] = (
    "jacket",
    "coat",
    "t-shirt",
    "sweater",
    "trousers",
    "trainers",
    "cap",
)
JEWELLERY_ITEMS: tuple[str, ...] = ("ring", "necklace", "watch", "bracelet", "earrings")
OBJECT_ITEMS: tuple[str, ...] = ("lighter", "keys", "phone", "wallet")
SKIN_TONES: dict[str, Rgb] = {
    "fair": (241, 212, 192),
    "light": (232, 196, 172),
    "medium": (212, 164, 128),
    "olive": (196, 154, 108),
    "tan": (186, 136, 98),
    "brown": (146, 98, 68),
    "dark": (98, 66, 48),
}

# Named colours as police descriptions use them; modifiers ("dark", "light") are applied on top.
_COLOURS: dict[str, Rgb] = {
    "black": (28, 28, 30),
    "white": (240, 240, 236),
    "grey": (128, 130, 134),
    "gray": (128, 130, 134),
    "charcoal": (62, 64, 68),
    "silver": (192, 194, 200),
    "red": (186, 32, 38),
    "burgundy": (110, 24, 42),
    "maroon": (112, 28, 32),
    "wine": (114, 34, 52),
    "pink": (232, 128, 164),
    "orange": (232, 118, 34),
    "yellow": (236, 200, 40),
    "mustard": (204, 160, 36),
    "gold": (212, 175, 55),
    "green": (40, 130, 64),
    "olive": (108, 112, 48),
    "olive green": (96, 108, 52),
    "bottle green": (24, 78, 48),
    "khaki": (170, 156, 108),
    "teal": (20, 120, 124),
    "turquoise": (52, 178, 178),
    "blue": (38, 82, 170),
    "navy": (28, 38, 82),
    "navy blue": (28, 38, 82),
    "denim": (68, 96, 140),
    "sky blue": (120, 176, 224),
    "purple": (104, 54, 140),
    "violet": (128, 80, 176),
    "lilac": (188, 156, 212),
    "brown": (104, 68, 42),
    "tan": (196, 150, 104),
    "camel": (190, 146, 92),
    "beige": (214, 196, 164),
    "cream": (238, 228, 200),
    "ivory": (240, 234, 214),
}
# Tattoo ink looks muted and slightly blue-shifted compared to the named colour.
_INKS: dict[str, Rgb] = {
    "black": (30, 33, 42),
    "blue": (38, 70, 128),
    "red": (172, 40, 44),
    "green": (40, 112, 62),
    "yellow": (218, 182, 46),
    "orange": (212, 112, 42),
    "purple": (98, 56, 130),
    "pink": (214, 106, 140),
    "brown": (108, 70, 42),
    "grey": (96, 98, 104),
    "white": (236, 232, 224),
}
_METALS: dict[str, Rgb] = {
    "gold": (212, 172, 58),
    "yellow gold": (212, 172, 58),
    "white gold": (218, 218, 212),
    "rose gold": (212, 148, 126),
    "silver": (192, 194, 202),
    "sterling silver": (192, 194, 202),
    "platinum": (214, 214, 220),
    "steel": (166, 172, 178),
    "stainless steel": (166, 172, 178),
    "titanium": (140, 142, 148),
    "brass": (188, 156, 76),
    "copper": (184, 112, 58),
    "chrome": (200, 204, 210),
}


def is_drawable_text(text: str) -> bool:
    """True when every character exists in Pillow's built-in font (printable ASCII only)."""
    return all(" " <= ch <= "~" for ch in text)


def colour_rgb(name: str) -> Rgb:
    """An RGB value for a colour as police write it ("navy blue", "dark green", "faded red")."""
    words = name.lower().replace("-", " ").replace("/", " ").split()
    key = " ".join(words)
    base = _COLOURS.get(key)
    if base is None:
        base = next((_COLOURS[w] for w in reversed(words) if w in _COLOURS), None)
    if base is None:
        # Unknown colour words still need a stable colour; a hashed neutral keeps it plausible.
        level = 90 + _rng("colour", key).randrange(80)
        return (level, level, level + 6)
    if "dark" in words or "deep" in words:
        base = _mix(base, (0, 0, 0), 0.38)
    if "light" in words or "pale" in words:
        base = _mix(base, (255, 255, 255), 0.42)
    if "faded" in words or "washed" in words:
        base = _mix(base, (170, 170, 170), 0.35)
    if "bright" in words:
        base = _mix(base, _saturate(base), 0.5)
    return base


def draw_tattoo(
    motif: str,
    *,
    colours: Sequence[str] = ("black",),
    inscription: str | None = None,
    skin: str = "medium",
    variant: int = 0,
) -> bytes:
    """A tattoo drawn in ink on a patch of skin; returns JPEG bytes.

    `inscription` is written in a banner (heart), as the whole design (text) or under the
    motif; it must be drawable (see `is_drawable_text`) because a drawing that silently
    changed the letters would mislead the very relatives who might recognise them.
    """
    if motif not in _MOTIFS:
        raise ValueError(f"unknown tattoo motif {motif!r}; expected one of {TATTOO_MOTIFS}")
    if inscription is not None and not is_drawable_text(inscription):
        raise ValueError("inscription contains characters the built-in font cannot draw")
    if motif == "text" and not inscription:
        raise ValueError("a text tattoo needs an inscription")
    rng = _rng("tattoo", motif, tuple(colours), inscription, skin, variant)
    canvas = _skin(skin, rng)
    ink = Image.new("RGBA", (_CW, _CH), (0, 0, 0, 0))
    draw = ImageDraw.Draw(ink)
    pal = _Palette(colours)
    text = inscription or None
    if motif == "text":
        assert text is not None
        _m_text(ink, pal, rng, text)
    else:
        below = text is not None and motif != "heart"
        cy = _CH * (0.40 if below else 0.5)
        radius = _CH * (0.31 if below else 0.41)
        angle = 0.0 if motif in ("heart", "compass") else rng.uniform(-9.0, 9.0)
        pen = _Pen(draw, _CW / 2, cy, radius, angle=angle)
        _MOTIFS[motif](pen, pal, rng, ink, None if below else text)
        if below and text is not None:
            _ink_text(ink, text, (_CW * 0.12, _CH * 0.76, _CW * 0.88, _CH * 0.95), pal.outline)
    # Ink sits in the skin, not on it: soften the edges and let the skin show faintly through.
    ink.putalpha(ink.getchannel("A").filter(ImageFilter.GaussianBlur(1.1)))
    canvas.alpha_composite(ink)
    return _jpeg(canvas)


def draw_clothing(item: str, colour: str, *, brand: str | None = None, variant: int = 0) -> bytes:
    """A garment laid flat on an evidence board next to a ruler; returns JPEG bytes."""
    kind = _clothing_kind(item)
    rng = _rng("clothing", item, colour, brand, variant)
    board = _board(rng)
    layer = Image.new("RGBA", (_CW, _CH), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    base = colour_rgb(colour)
    cloth = _Cloth(base)
    label = brand if brand and is_drawable_text(brand) and len(brand) <= 16 else None
    pen = _Pen(draw, _CW * 0.5, _CH * 0.47, _CH * 0.44, angle=rng.uniform(-3.0, 3.0))
    _CLOTHING[kind](pen, cloth, rng, layer, label, item.lower())
    layer = _fabric(layer, rng)
    _drop_shadow(board, layer)
    _ruler(board)
    return _jpeg(board)


def draw_jewellery(
    item: str,
    *,
    material: str = "silver",
    inscription: str | None = None,
    pendant: str = "heart",
    variant: int = 0,
) -> bytes:
    """A piece of jewellery on dark velvet, with any engraving shown legibly; returns JPEG bytes.

    `pendant` (necklaces only): heart, cross, disc, letter or stone.
    """
    kind = _jewellery_kind(item)
    if inscription is not None and not is_drawable_text(inscription):
        raise ValueError("inscription contains characters the built-in font cannot draw")
    rng = _rng("jewellery", item, material, inscription, pendant, variant)
    bg = _velvet(rng)
    layer = Image.new("RGBA", (_CW, _CH), (0, 0, 0, 0))
    metal = _Metal(_metal_rgb(material))
    _JEWELLERY[kind](layer, metal, rng, inscription or None, pendant, material.lower())
    _drop_shadow(bg, layer, offset=(10, 14), strength=150)
    return _jpeg(bg)


def draw_object(
    item: str,
    *,
    colour: str | None = None,
    inscription: str | None = None,
    engraving: str | None = None,
    variant: int = 0,
) -> bytes:
    """An object found with a person, on an evidence board; returns JPEG bytes.

    Lighters are metal (or plastic in `colour`), `engraving` may be "ship" or "star";
    keys carry a fob in `colour` with an optional `inscription`.
    """
    kind = _object_kind(item)
    if inscription is not None and not is_drawable_text(inscription):
        raise ValueError("inscription contains characters the built-in font cannot draw")
    rng = _rng("object", item, colour, inscription, engraving, variant)
    board = _board(rng)
    layer = Image.new("RGBA", (_CW, _CH), (0, 0, 0, 0))
    _OBJECTS[kind](layer, rng, colour, inscription or None, engraving)
    _drop_shadow(board, layer)
    _ruler(board)
    return _jpeg(board)


def draw_scene_sketch(*, variant: int = 0, river: bool = True) -> bytes:
    """An internal sketch map of a find location (never for publication); returns JPEG bytes."""
    rng = _rng("scene", variant, river)
    img = Image.new("RGBA", (_CW, _CH), (244, 240, 228, 255))
    draw = ImageDraw.Draw(img)
    for gx in range(0, _CW, 60):
        draw.line([(gx, 0), (gx, _CH)], fill=(206, 218, 230, 255), width=1)
    for gy in range(0, _CH, 60):
        draw.line([(0, gy), (_CW, gy)], fill=(206, 218, 230, 255), width=1)
    if river:
        ys = [rng.uniform(0.25, 0.75) * _CH for _ in range(5)]
        path = _chaikin([(i * _CW / 4, y) for i, y in enumerate(ys)], 4, closed=False)
        draw.line(path, fill=(120, 160, 206, 255), width=70, joint="curve")
        draw.line(path, fill=(160, 196, 230, 255), width=50, joint="curve")
    for _ in range(2):
        x0 = rng.uniform(0.1, 0.9) * _CW
        road = _chaikin([(x0, 0), (x0 + rng.uniform(-200, 200), _CH / 2), (x0, _CH)], 3, False)
        draw.line(road, fill=(120, 120, 120, 255), width=26, joint="curve")
        draw.line(road, fill=(236, 232, 220, 255), width=18, joint="curve")
    for _ in range(40):
        x, y, r = rng.uniform(0, _CW), rng.uniform(0, _CH), rng.uniform(14, 30)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(120, 168, 110, 255), outline=(70, 110, 60))
    for _ in range(6):
        x, y = rng.uniform(80, _CW - 160), rng.uniform(80, _CH - 160)
        draw.rectangle(
            [x, y, x + rng.uniform(40, 90), y + rng.uniform(40, 70)], outline=(60, 60, 60)
        )
    mx, my = rng.uniform(0.3, 0.7) * _CW, rng.uniform(0.35, 0.65) * _CH
    draw.line([(mx - 30, my - 30), (mx + 30, my + 30)], fill=(200, 30, 30), width=10)
    draw.line([(mx - 30, my + 30), (mx + 30, my - 30)], fill=(200, 30, 30), width=10)
    draw.ellipse([mx - 60, my - 60, mx + 60, my + 60], outline=(200, 30, 30), width=5)
    banner = "INTERNAL SKETCH - NOT FOR PUBLICATION"
    draw.rectangle([0, 0, _CW, 70], fill=(250, 250, 250, 255))
    draw.text((_CW / 2, 35), banner, font=_font(40), fill=(160, 20, 20), anchor="mm")
    draw.polygon([(_CW - 80, 110), (_CW - 100, 170), (_CW - 60, 170)], fill=(40, 40, 40))
    draw.text((_CW - 80, 195), "N", font=_font(36), fill=(40, 40, 40), anchor="mm")
    return _jpeg(img)


# --- shared machinery -------------------------------------------------------------------


def _rng(*parts: object) -> random.Random:
    # hash() is salted per process, so derive seeds from a real digest of the inputs.
    digest = hashlib.sha256("\x1f".join(repr(p) for p in parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _jpeg(img: Image.Image) -> bytes:
    out = img.convert("RGB").resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    # A fresh image carries no EXIF or other metadata, and none is passed to save().
    out.save(buf, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buf.getvalue()


@lru_cache(maxsize=64)
def _font(size: int) -> Font:
    return ImageFont.load_default(size=max(8, size))


def _fit_font(text: str, max_w: float, max_h: float, start: int) -> Font:
    size = start
    while size > 10:
        font = _font(size)
        left, top, right, bottom = font.getbbox(text)
        if right - left <= max_w and bottom - top <= max_h:
            return font
        size = int(size * 0.93)
    return _font(10)


def _mix(a: Rgb, b: Rgb, t: float) -> Rgb:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _saturate(c: Rgb) -> Rgb:
    hi, lo = max(c), min(c)
    if hi == lo:
        return c
    return (
        round((c[0] - lo) * 255 / (hi - lo)),
        round((c[1] - lo) * 255 / (hi - lo)),
        round((c[2] - lo) * 255 / (hi - lo)),
    )


def _shade(c: Rgb, factor: float) -> Rgb:
    return (
        min(255, round(c[0] * factor)),
        min(255, round(c[1] * factor)),
        min(255, round(c[2] * factor)),
    )


def _luma(c: Rgb) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def _rgba(c: Rgb, alpha: int = 255) -> Rgba:
    return (c[0], c[1], c[2], alpha)


def _chaikin(points: Sequence[Pt], iterations: int, closed: bool = True) -> list[Pt]:
    """Corner-cutting smoothing: turns a rough polygon into a curve without any curve maths."""
    pts = list(points)
    for _ in range(iterations):
        out: list[Pt] = [] if closed else [pts[0]]
        n = len(pts) if closed else len(pts) - 1
        for i in range(n):
            (x0, y0), (x1, y1) = pts[i], pts[(i + 1) % len(pts)]
            out.append((0.75 * x0 + 0.25 * x1, 0.75 * y0 + 0.25 * y1))
            out.append((0.25 * x0 + 0.75 * x1, 0.25 * y0 + 0.75 * y1))
        if not closed:
            out.append(pts[-1])
        pts = out
    return pts


def _bezier(p0: Pt, p1: Pt, p2: Pt, p3: Pt, n: int = 24) -> list[Pt]:
    out: list[Pt] = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        out.append(
            (
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            )
        )
    return out


def _ellipse_pts(
    x: float, y: float, rx: float, ry: float, angle: float = 0.0, n: int = 48
) -> list[Pt]:
    ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    out: list[Pt] = []
    for i in range(n):
        t = 2 * math.pi * i / n
        ex, ey = rx * math.cos(t), ry * math.sin(t)
        out.append((x + ex * ca - ey * sa, y + ex * sa + ey * ca))
    return out


def _arc_pts(
    x: float, y: float, rx: float, ry: float, start: float, end: float, n: int = 40
) -> list[Pt]:
    out: list[Pt] = []
    for i in range(n + 1):
        t = math.radians(start + (end - start) * i / n)
        out.append((x + rx * math.cos(t), y + ry * math.sin(t)))
    return out


def _star_pts(
    x: float, y: float, r_out: float, r_in: float, points: int = 5, rot: float = -90
) -> list[Pt]:
    out: list[Pt] = []
    for i in range(points * 2):
        r = r_out if i % 2 == 0 else r_in
        t = math.radians(rot + 180 * i / points)
        out.append((x + r * math.cos(t), y + r * math.sin(t)))
    return out


def _heart_pts(x: float, y: float, size: float, n: int = 80) -> list[Pt]:
    out: list[Pt] = []
    for i in range(n):
        t = 2 * math.pi * i / n
        hx = 16 * math.sin(t) ** 3
        hy = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        out.append((x + hx * size / 17, y - hy * size / 17))
    return out


def _leaf_pts(
    x: float, y: float, length: float, width: float, angle: float, n: int = 16
) -> list[Pt]:
    ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    top: list[Pt] = []
    bottom: list[Pt] = []
    for i in range(n + 1):
        u = length * i / n
        w = width * math.sin(math.pi * i / n) ** 0.8 * (1 - 0.25 * i / n)
        top.append((x + u * ca - w * sa, y + u * sa + w * ca))
        bottom.append((x + u * ca + w * sa, y + u * sa - w * ca))
    return top + bottom[::-1]


def _mirror(points: Sequence[Pt]) -> list[Pt]:
    return [(-px, py) for px, py in points]


class _Pen:
    """Maps unit coordinates (about -1..1, y down) around a centre onto canvas pixels."""

    def __init__(
        self, draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, *, angle: float = 0.0
    ) -> None:
        self.d = draw
        self.cx, self.cy, self.r = cx, cy, r
        self._ca, self._sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        self.angle = angle

    def p(self, x: float, y: float) -> Pt:
        return (
            self.cx + (x * self._ca - y * self._sa) * self.r,
            self.cy + (x * self._sa + y * self._ca) * self.r,
        )

    def px(self, unit: float) -> int:
        return max(1, round(unit * self.r))

    def pts(self, seq: Sequence[Pt]) -> list[Pt]:
        return [self.p(x, y) for x, y in seq]

    def shape(
        self, seq: Sequence[Pt], fill: Rgba | None, outline: Rgba | None, width: float = 0.03
    ) -> None:
        pts = self.pts(seq)
        if fill is not None:
            self.d.polygon(pts, fill=fill)
        if outline is not None:
            self.d.line([*pts, pts[0], pts[1]], fill=outline, width=self.px(width), joint="curve")

    def line(self, seq: Sequence[Pt], colour: Rgba, width: float = 0.03, caps: bool = True) -> None:
        pts = self.pts(seq)
        w = self.px(width)
        self.d.line(pts, fill=colour, width=w, joint="curve")
        if caps and w > 3:
            for x, y in (pts[0], pts[-1]):
                self.d.ellipse([x - w / 2, y - w / 2, x + w / 2, y + w / 2], fill=colour)

    def ellipse(
        self,
        x: float,
        y: float,
        rx: float,
        ry: float | None = None,
        *,
        fill: Rgba | None = None,
        outline: Rgba | None = None,
        width: float = 0.03,
        angle: float = 0.0,
    ) -> None:
        self.shape(_ellipse_pts(x, y, rx, rx if ry is None else ry, angle), fill, outline, width)

    def dot(self, x: float, y: float, r: float, colour: Rgba) -> None:
        cx, cy = self.p(x, y)
        rr = r * self.r
        self.d.ellipse([cx - rr, cy - rr, cx + rr, cy + rr], fill=colour)

    def arc(
        self,
        x: float,
        y: float,
        rx: float,
        ry: float,
        start: float,
        end: float,
        colour: Rgba,
        width: float,
    ) -> None:
        self.line(_arc_pts(x, y, rx, ry, start, end), colour, width)

    def text(self, x: float, y: float, text: str, size: float, colour: Rgba) -> None:
        self.d.text(self.p(x, y), text, font=_font(self.px(size)), fill=colour, anchor="mm")


def _noise(rng: random.Random, w: int, h: int, size: tuple[int, int]) -> Image.Image:
    return Image.frombytes("L", (w, h), rng.randbytes(w * h)).resize(size, Image.Resampling.BICUBIC)


def _textured(img: Image.Image, rng: random.Random, amount: float, grain: int) -> Image.Image:
    """Blend in two scales of seeded noise so flat colour reads as a surface.

    Backgrounds are built at output size and only then scaled to the drawing canvas: they have
    no edges that need supersampling, and this halves the time each image takes.
    """
    size = img.size
    dark = Image.blend(img, Image.new(img.mode, size, (0, 0, 0, 255)), amount)
    light = Image.blend(img, Image.new(img.mode, size, (255, 255, 255, 255)), amount * 0.8)
    coarse = _noise(rng, _CW // grain, _CH // grain, size)
    img = Image.composite(light, dark, coarse)
    fine = _noise(rng, _CW // 3, _CH // 3, size)
    dark2 = Image.blend(img, Image.new(img.mode, size, (0, 0, 0, 255)), amount * 0.5)
    img = Image.composite(img, dark2, fine.point([min(255, 96 + v) for v in range(256)]))
    return img.resize((_CW, _CH), Image.Resampling.BILINEAR)


def _skin(tone: str, rng: random.Random) -> Image.Image:
    base = SKIN_TONES.get(tone, SKIN_TONES["medium"])
    lit = Image.new("RGBA", (WIDTH, HEIGHT), _rgba(_mix(base, (255, 255, 255), 0.1)))
    shadow = Image.new("RGBA", (WIDTH, HEIGHT), _rgba(_mix(base, (0, 0, 0), 0.25)))
    # A limb is lit across its middle and falls into shadow at both edges; tilt it a little.
    # Rotate a small gradient and scale it up afterwards: the same look at a fraction of the cost.
    w, h = 256, 256 * HEIGHT // WIDTH
    side = int(math.hypot(w, h)) + 4
    band = (
        Image.linear_gradient("L")
        .resize((side, side))
        .point([round(255 * math.sin(math.pi * v / 255) ** 0.6) for v in range(256)])
    )
    band = band.rotate(rng.uniform(-14, 14), resample=Image.Resampling.BICUBIC)
    left, top = (side - w) // 2, (side - h) // 2
    band = band.crop((left, top, left + w, top + h)).resize(
        (WIDTH, HEIGHT), Image.Resampling.BICUBIC
    )
    img = Image.composite(lit, shadow, band)
    return _textured(img, rng, 0.05, 24)


def _board(rng: random.Random) -> Image.Image:
    top = Image.new("RGBA", (WIDTH, HEIGHT), (222, 224, 226, 255))
    bottom = Image.new("RGBA", (WIDTH, HEIGHT), (188, 190, 194, 255))
    grad = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    return _textured(Image.composite(bottom, top, grad), rng, 0.03, 12)


def _velvet(rng: random.Random) -> Image.Image:
    centre = Image.new("RGBA", (WIDTH, HEIGHT), (52, 40, 70, 255))
    edge = Image.new("RGBA", (WIDTH, HEIGHT), (16, 12, 26, 255))
    grad = Image.radial_gradient("L").resize((WIDTH, HEIGHT))
    return _textured(Image.composite(edge, centre, grad), rng, 0.08, 6)


def _ruler(img: Image.Image) -> None:
    draw = ImageDraw.Draw(img)
    x0, y0, cm = _CW - 600, _CH - 100, 48
    draw.rectangle(
        [x0, y0, x0 + cm * 10 + 70, y0 + 70], fill=(246, 240, 214, 255), outline=(80, 80, 80)
    )
    font = _font(20)
    for i in range(0, 101):
        x = x0 + 10 + i * cm / 10
        length = 30 if i % 10 == 0 else (20 if i % 5 == 0 else 11)
        draw.line([(x, y0), (x, y0 + length)], fill=(30, 30, 30), width=2)
        if i % 10 == 0:
            draw.text((x, y0 + 50), str(i // 10), font=font, fill=(30, 30, 30), anchor="mm")
    draw.text((x0 + cm * 10 + 44, y0 + 20), "cm", font=font, fill=(30, 30, 30), anchor="mm")


def _drop_shadow(
    bg: Image.Image, layer: Image.Image, offset: tuple[int, int] = (14, 18), strength: int = 110
) -> None:
    # Blurring a quarter-size mask and scaling it back looks the same and costs far less.
    small = layer.getchannel("A").resize((WIDTH // 2, HEIGHT // 2), Image.Resampling.BILINEAR)
    alpha = small.filter(ImageFilter.GaussianBlur(3)).resize(layer.size, Image.Resampling.BILINEAR)
    shadow = Image.new("RGBA", layer.size, (0, 0, 0, 0))
    shadow.putalpha(alpha.point([v * strength // 255 for v in range(256)]))
    bg.alpha_composite(shadow, dest=offset)
    bg.alpha_composite(layer)


def _ink_text(
    layer: Image.Image,
    text: str,
    box: tuple[float, float, float, float],
    colour: Rgba,
    slant: float = 0.2,
) -> None:
    """Write tattoo lettering, slanted like hand-drawn script, centred in box."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    lines = [text]
    if len(text) > 16 and " " in text:
        # Two balanced lines read better than one tiny line, as a tattooist would lay it out.
        mid = len(text) // 2
        cut = min((i for i, ch in enumerate(text) if ch == " "), key=lambda i: abs(i - mid))
        lines = [text[:cut], text[cut + 1 :]]
    line_h = bh / len(lines)
    for n, line in enumerate(lines):
        font = _fit_font(line, bw / (1 + slant * 0.6), line_h * 0.8, int(line_h))
        left, top, right, bottom = font.getbbox(line)
        tw, th = right - left, bottom - top
        pad = int(th * 0.25) + 6
        mask = Image.new("L", (int(tw + slant * th) + 2 * pad, int(th) + 2 * pad), 0)
        weight = max(1, int(th / 26))
        ImageDraw.Draw(mask).text(
            (pad - left, pad - top), line, font=font, fill=255, stroke_width=weight, stroke_fill=255
        )
        mw, mh = mask.size
        mask = mask.transform(
            mask.size,
            Image.Transform.AFFINE,
            (1, slant, -slant * mh, 0, 1, 0),
            resample=Image.Resampling.BICUBIC,
        )
        glyphs = Image.new("RGBA", mask.size, _rgba(colour[:3], 0))
        glyphs.putalpha(mask.point([v * colour[3] // 255 for v in range(256)]))
        cx, cy = (x0 + x1) / 2, y0 + line_h * (n + 0.5)
        layer.alpha_composite(glyphs, dest=(max(0, int(cx - mw / 2)), max(0, int(cy - mh / 2))))


# --- tattoos ----------------------------------------------------------------------------


def _ink_rgb(name: str) -> Rgb:
    key = name.lower().strip()
    if key in _INKS:
        return _INKS[key]
    for word in reversed(key.split()):
        if word in _INKS:
            return _INKS[word]
    return _mix(colour_rgb(key), (30, 33, 42), 0.2)


class _Palette:
    """Turns a mark's colour list into outline and fill inks, handing out each colour once."""

    def __init__(self, colours: Sequence[str]) -> None:
        names = [c.lower().strip() for c in colours if c.strip()] or ["black"]
        darks = ("black", "grey", "gray")
        if any(n in darks for n in names) or len(names) > 1:
            outline = _INKS["black"]
        else:
            outline = _shade(_ink_rgb(names[0]), 0.8)
        self.outline: Rgba = _rgba(outline, 245)
        # A single colour is line work in that colour, so it has nothing left to fill with.
        self.fills = [] if len(names) == 1 else [n for n in names if n not in darks]
        # Black-and-grey work: fills become a thin wash of the outline ink.
        self.wash: Rgba = _rgba(outline, 70)
        self._claimed: set[str] = set()

    def pick(self, *prefs: str) -> Rgba:
        for pref in prefs:
            for name in self.fills:
                if pref == name or pref in name.split():
                    self._claimed.add(name)
                    return _rgba(_ink_rgb(name), 225)
        for name in self.fills:
            if name not in self._claimed:
                self._claimed.add(name)
                return _rgba(_ink_rgb(name), 225)
        return self.wash


Motif = Callable[[_Pen, _Palette, random.Random, Image.Image, str | None], None]


def _m_rose(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    out = pal.outline
    leaf = pal.pick("green")
    petal = pal.pick("red", "pink", "purple", "yellow", "orange", "blue")
    for x, y, ang, ln in ((-0.2, 0.3, 200, 0.62), (0.22, 0.32, -18, 0.58), (0.0, 0.42, 96, 0.5)):
        pen.shape(_leaf_pts(x, y, ln, 0.2, ang), leaf, out)
        ca, sa = math.cos(math.radians(ang)), math.sin(math.radians(ang))
        pen.line([(x, y), (x + ln * 0.8 * ca, y + ln * 0.8 * sa)], out, 0.012)
    dark = _rgba(_shade(petal[:3], 0.78), petal[3])
    for k in range(6):
        a = math.radians(k * 60 + 15 + rng.uniform(-8, 8))
        pen.ellipse(
            0.27 * math.cos(a),
            -0.12 + 0.2 * math.sin(a),
            0.28,
            0.24,
            fill=petal,
            outline=out,
            width=0.025,
        )
    pen.ellipse(0.0, -0.14, 0.32, 0.26, fill=dark, outline=out, width=0.025)
    spiral: list[Pt] = []
    for i in range(140):
        t = i / 139
        a = t * 2.6 * 2 * math.pi
        rad = 0.27 * (1 - t) + 0.02
        spiral.append((rad * math.cos(a) * 1.1, -0.14 + rad * math.sin(a) * 0.85))
    pen.line(spiral, out, 0.022)


def _m_flower(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    out = pal.outline
    leaf = pal.pick("green")
    petal = pal.pick("red", "pink", "purple", "blue", "yellow", "orange")
    heart = pal.pick("yellow", "orange")
    pen.line(_bezier((0.0, 0.1), (0.05, 0.4), (-0.08, 0.7), (0.02, 0.95)), out, 0.05)
    pen.line(_bezier((0.0, 0.1), (0.05, 0.4), (-0.08, 0.7), (0.02, 0.95)), leaf, 0.025)
    pen.shape(_leaf_pts(0.0, 0.62, 0.45, 0.14, 205), leaf, out)
    pen.shape(_leaf_pts(0.0, 0.5, 0.45, 0.14, -25), leaf, out)
    count = 5 + rng.randrange(3)
    for k in range(count):
        ang = k * 360 / count + rng.uniform(-6, 6)
        pen.shape(_leaf_pts(0.0, -0.25, 0.64, 0.23, ang), petal, out, 0.025)
    pen.ellipse(0.0, -0.25, 0.13, fill=heart, outline=out)
    for k in range(7):
        a = math.radians(k * 51)
        pen.dot(0.06 * math.cos(a), -0.25 + 0.06 * math.sin(a), 0.015, out)


def _m_anchor(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    out = pal.outline
    rope = pal.pick("brown", "yellow", "orange", "red")
    body = pal.pick("blue", "green", "red")
    pen.ellipse(0.0, -0.8, 0.13, outline=out, width=0.05)
    rope_path = _bezier((0.0, -0.68), (0.6, -0.55), (-0.55, -0.12), (0.0, 0.02)) + _bezier(
        (0.0, 0.02), (0.5, 0.16), (0.35, 0.5), (-0.3, 0.62)
    )
    pen.shape([(-0.06, -0.68), (0.06, -0.68), (0.06, 0.72), (-0.06, 0.72)], body, out)
    pen.shape([(-0.42, -0.58), (0.42, -0.58), (0.42, -0.48), (-0.42, -0.48)], body, out)
    for sx in (-1, 1):
        pen.ellipse(sx * 0.45, -0.53, 0.065, fill=body, outline=out, width=0.025)
    pen.arc(0.0, 0.12, 0.62, 0.62, 14, 166, out, 0.14)
    pen.arc(0.0, 0.12, 0.62, 0.62, 15, 165, body, 0.08)
    ex, ey = 0.62 * math.cos(math.radians(14)), 0.12 + 0.62 * math.sin(math.radians(14))
    for sx in (-1, 1):
        fluke = [(ex + 0.13, ey - 0.24), (ex - 0.13, ey + 0.02), (ex + 0.13, ey + 0.12)]
        pen.shape([(sx * x, y) for x, y in fluke], body, out)
    pen.shape([(0.0, 0.7), (0.08, 0.84), (-0.08, 0.84)], body, out)
    pen.line(rope_path, out, 0.06)
    pen.line(rope_path, rope, 0.034)
    for i in range(2, len(rope_path) - 1, 3):
        x, y = rope_path[i]
        pen.line([(x - 0.02, y - 0.025), (x + 0.02, y + 0.025)], out, 0.01, caps=False)


def _m_swallow(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    out = pal.outline
    back = pal.pick("blue", "purple", "green")
    throat = pal.pick("red", "orange", "pink")
    belly: Rgba = (244, 236, 222, 200)
    upper = [
        (0.15, -0.18),
        (0.0, -0.5),
        (-0.25, -0.8),
        (-0.6, -0.95),
        (-0.95, -0.98),
        (-0.55, -0.7),
        (-0.3, -0.4),
        (-0.15, -0.14),
    ]
    pen.shape(_chaikin(upper, 3), back, out)
    for k in range(3):
        # Feather lines run along the wing, a little apart, so they stay inside its outline.
        t0, off = 0.3 + 0.12 * k, 0.035 * (k - 1)
        start = (-0.9 * t0 - 0.63 * off, -0.22 - 0.73 * t0 + 0.78 * off)
        end = (start[0] - 0.9 * 0.3, start[1] - 0.73 * 0.3)
        pen.line([start, end], out, 0.012)
    tail = [
        (-0.3, 0.0),
        (-0.7, 0.04),
        (-0.99, 0.0),
        (-0.74, 0.12),
        (-0.96, 0.36),
        (-0.6, 0.22),
        (-0.3, 0.15),
    ]
    pen.shape(tail, back, out)
    body = [
        (0.64, -0.22),
        (0.5, -0.33),
        (0.3, -0.29),
        (0.0, -0.16),
        (-0.36, 0.0),
        (-0.4, 0.12),
        (-0.1, 0.17),
        (0.25, 0.13),
        (0.55, 0.01),
        (0.67, -0.12),
    ]
    pen.shape(_chaikin(body, 3), back, out)
    pen.shape(
        _chaikin(
            [(0.52, -0.04), (0.25, 0.1), (-0.1, 0.14), (-0.3, 0.08), (0.0, 0.0), (0.3, -0.06)], 2
        ),
        belly,
        None,
    )
    pen.ellipse(0.56, -0.1, 0.08, 0.065, fill=throat, outline=None)
    lower = [
        (0.12, 0.04),
        (0.06, 0.35),
        (-0.14, 0.7),
        (-0.36, 0.92),
        (-0.3, 0.55),
        (-0.2, 0.25),
        (-0.1, 0.08),
    ]
    pen.shape(_chaikin(lower, 3), back, out)
    pen.shape([(0.64, -0.23), (0.8, -0.17), (0.65, -0.13)], out, out, 0.01)
    pen.dot(0.54, -0.2, 0.03, out)
    pen.dot(0.545, -0.205, 0.01, (250, 250, 250, 230))


def _m_heart(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    out = pal.outline
    fill = pal.pick("red", "pink", "purple", "blue")
    ribbon = pal.pick("blue", "green", "yellow")
    pen.shape(_heart_pts(0.0, -0.12, 0.82), fill, out, 0.035)
    pen.arc(-0.3, -0.42, 0.16, 0.13, 190, 280, (250, 248, 240, 200), 0.035)
    tail_fill = (
        _rgba(_shade(ribbon[:3], 0.7), ribbon[3]) if ribbon != pal.wash else (110, 110, 110, 110)
    )
    for sx in (-1, 1):
        tail = [(0.72, 0.12), (1.02, 0.12), (0.9, 0.28), (1.02, 0.44), (0.72, 0.44)]
        pen.shape([(sx * x, y) for x, y in tail], tail_fill, out, 0.025)
    top = _bezier((-0.86, 0.02), (-0.3, -0.08), (0.3, 0.12), (0.86, 0.02))
    bottom = _bezier((0.86, 0.36), (0.3, 0.46), (-0.3, 0.26), (-0.86, 0.36))
    band: Rgba = (246, 240, 226, 235)
    pen.shape(top + bottom, band, out, 0.03)
    if text:
        x0, y0 = pen.p(-0.78, 0.06)
        x1, y1 = pen.p(0.78, 0.36)
        _ink_text(layer, text, (x0, y0, x1, y1), out, slant=0.12)


def _m_stars(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    out = pal.outline
    fill = pal.pick("blue", "red", "purple")
    for i, (x, y, r) in enumerate(((-0.6, 0.12, 0.22), (0.0, -0.06, 0.28), (0.6, 0.12, 0.22))):
        r *= 1 + rng.uniform(-0.08, 0.08)
        pen.shape(_star_pts(x, y, r, r * 0.42, rot=-90 + (i - 1) * 8), fill, out, 0.03)


def _m_star(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    out = pal.outline
    light = pal.pick("red", "blue", "yellow")
    dark = _rgba(out[:3], 235)
    pts = _star_pts(0.0, 0.0, 0.85, 0.36)
    for k in range(5):
        tip = pts[2 * k]
        inner_left, inner_right = pts[(2 * k - 1) % 10], pts[2 * k + 1]
        pen.shape([(0.0, 0.0), inner_left, tip], dark, None)
        pen.shape([(0.0, 0.0), tip, inner_right], light, None)
    pen.shape(pts, None, out, 0.035)
    for k in range(5):
        pen.line([(0.0, 0.0), pts[2 * k]], out, 0.012, caps=False)


def _m_butterfly(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    out = pal.outline
    wing = pal.pick("blue", "purple", "orange", "red", "yellow", "green")
    spot = pal.pick("purple", "yellow", "orange", "blue", "pink")
    upper = _bezier((-0.04, -0.2), (-0.3, -0.95), (-0.98, -0.95), (-0.9, -0.42)) + _bezier(
        (-0.9, -0.42), (-0.85, -0.05), (-0.3, 0.0), (-0.04, -0.05)
    )
    lower = _bezier((-0.04, 0.0), (-0.7, 0.0), (-0.8, 0.58), (-0.45, 0.66)) + _bezier(
        (-0.45, 0.66), (-0.2, 0.72), (-0.05, 0.38), (-0.04, 0.05)
    )
    for flip in (False, True):
        up, low = (_mirror(upper), _mirror(lower)) if flip else (upper, lower)
        sx = -1 if flip else 1
        pen.shape(low, wing, out)
        pen.shape(up, wing, out)
        pen.ellipse(sx * -0.58, -0.52, 0.15, 0.12, fill=spot, outline=out, width=0.02)
        pen.ellipse(sx * -0.42, 0.38, 0.1, 0.09, fill=spot, outline=out, width=0.02)
        for ex, ey in ((-0.75, -0.75), (-0.88, -0.3), (-0.6, 0.55)):
            pen.line([(sx * -0.06, -0.05), (sx * ex * 0.8, ey * 0.8)], out, 0.01)
    pen.ellipse(0.0, 0.05, 0.06, 0.42, fill=out, outline=None)
    pen.ellipse(0.0, -0.42, 0.08, fill=out, outline=None)
    for sx in (-1, 1):
        pen.line(
            _bezier((0.0, -0.45), (sx * 0.05, -0.7), (sx * 0.18, -0.85), (sx * 0.28, -0.9)),
            out,
            0.014,
        )
        pen.dot(sx * 0.28, -0.9, 0.03, out)


def _path_normal(path: Sequence[Pt], i: int) -> tuple[float, float, float]:
    a, b = path[max(0, i - 1)], path[min(len(path) - 1, i + 1)]
    theta = math.atan2(b[1] - a[1], b[0] - a[0])
    return theta, -math.sin(theta), math.cos(theta)


def _serpentine(pen: _Pen, pal: _Palette, rng: random.Random, *, dragon: bool) -> None:
    out = pal.outline
    body = pal.pick("green", "red", "blue", "purple")
    belly = pal.pick("yellow", "orange", "red")
    n = 180
    phase = rng.uniform(0.0, 0.6)
    path: list[Pt] = []
    widths: list[float] = []
    for i in range(n):
        t = i / (n - 1)
        if dragon:
            # Wingless and long-bodied, like the dragons of Eastern tattoo work.
            y = 0.42 * math.sin(2 * math.pi * 1.6 * t + phase) - 0.02
            path.append((-0.92 + 1.5 * t, y))
        else:
            y = 0.45 * math.sin(2 * math.pi * 1.2 * t + phase) * (0.55 + 0.45 * t) - 0.05
            path.append((-0.82 + 1.42 * t, y))
        widths.append((0.045 + 0.11 * t**0.7) if dragon else (0.035 + 0.1 * t**0.8))
    if dragon:
        for i in range(10, n - 16, 8):
            theta, nx, ny = _path_normal(path, i)
            tx, ty = math.cos(theta), math.sin(theta)
            x, y = path[i]
            w = widths[i]
            top = (x - nx * w * 0.9, y - ny * w * 0.9)
            size = 0.04 + w * 0.5
            # Dorsal spines lean back towards the tail, as if the dragon were moving forward.
            spike = [
                (top[0] - tx * size * 0.5, top[1] - ty * size * 0.5),
                (top[0] - nx * size * 1.6 - tx * size, top[1] - ny * size * 1.6 - ty * size),
                (top[0] + tx * size * 0.5, top[1] + ty * size * 0.5),
            ]
            pen.shape(spike, belly if belly != pal.wash else body, out, 0.014)
    line_w = 0.022
    for (x, y), w in zip(path, widths, strict=True):
        pen.dot(x, y, w + line_w, out)
    for (x, y), w in zip(path, widths, strict=True):
        pen.dot(x, y, w, body)
    for i in range(4, n - 6, 6):
        theta, nx, ny = _path_normal(path, i)
        x, y = path[i]
        w = widths[i] * 0.8
        fx, fy = math.cos(theta) * w * 0.5, math.sin(theta) * w * 0.5
        pen.line(
            [(x + nx * w, y + ny * w), (x + fx, y + fy), (x - nx * w, y - ny * w)],
            out,
            0.008,
            caps=False,
        )
        pen.dot(x + nx * w * 0.5, y + ny * w * 0.5, w * 0.25, belly)
    if dragon:
        for t in (0.36, 0.82):
            i = int(n * t)
            x, y = path[i]
            # Legs hang straight down whatever the curve does, so the dragon stands on something.
            hip = (x, y + widths[i] * 0.4)
            foot = (x + 0.05, y + widths[i] + 0.12)
            pen.line([hip, foot], out, 0.05)
            pen.line([hip, foot], body, 0.028)
            for claw in (-0.035, 0.0, 0.035):
                pen.line([foot, (foot[0] + claw + 0.03, foot[1] + 0.045)], out, 0.012)
    theta, _, _ = _path_normal(path, n - 1)
    hx, hy = path[-1]
    ca, sa = math.cos(theta), math.sin(theta)

    k = 1.35 if dragon else 1.0

    def local(u: float, v: float) -> Pt:
        return (hx + k * (u * ca - v * sa), hy + k * (u * sa + v * ca))

    if dragon:
        for v in (-1, 1):
            pen.line([local(0.05, v * 0.1), local(-0.12, v * 0.26)], out, 0.025)
    head = [
        (-0.02, -0.14),
        (0.16, -0.13),
        (0.32, -0.06),
        (0.36, 0.0),
        (0.32, 0.06),
        (0.16, 0.13),
        (-0.02, 0.14),
    ]
    pen.shape(_chaikin([local(u, v) for u, v in head], 2), body, out, 0.022)
    if dragon:
        pen.line([local(0.2, 0.02), local(0.34, 0.03)], out, 0.012)
        pen.dot(*local(0.33, -0.03), 0.012, out)
    pen.dot(*local(0.17, -0.06), 0.03, out)
    pen.dot(*local(0.17, 0.06), 0.03, out)
    tongue = pal.pick("red") if not dragon else out
    pen.line([local(0.36, 0.0), local(0.46, 0.0), local(0.52, -0.04)], tongue, 0.012, caps=False)
    pen.line([local(0.46, 0.0), local(0.52, 0.04)], tongue, 0.012, caps=False)
    if dragon:
        for v in (-1, 1):
            pen.line(
                _bezier(
                    local(0.3, v * 0.06),
                    local(0.4, v * 0.2),
                    local(0.25, v * 0.3),
                    local(0.35, v * 0.4),
                    12,
                ),
                out,
                0.01,
            )


def _m_dragon(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    _serpentine(pen, pal, rng, dragon=True)


def _m_serpent(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    _serpentine(pen, pal, rng, dragon=False)


def _m_koi(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    out = pal.outline
    body = pal.pick("orange", "red", "yellow", "gold")
    patch = pal.pick("red", "black", "orange", "blue")
    water = pal.pick("blue", "teal", "green")
    flat = _Pen(pen.d, pen.cx, pen.cy, pen.r)
    for k, (x, y) in enumerate(((-0.95, 0.6), (-0.8, 0.78), (0.35, -0.75), (0.5, -0.6))):
        wave = [(x + 0.08 * i, y + 0.05 * math.sin(i * 1.3 + k)) for i in range(8)]
        flat.line(_chaikin(wave, 2, closed=False), water if water != pal.wash else out, 0.02)
    fish = _Pen(pen.d, pen.cx, pen.cy, pen.r, angle=pen.angle - 22)
    tail = [
        (-0.42, -0.04),
        (-0.72, -0.34),
        (-0.98, -0.44),
        (-0.84, -0.12),
        (-0.8, 0.0),
        (-0.84, 0.12),
        (-0.98, 0.44),
        (-0.72, 0.34),
        (-0.42, 0.04),
    ]
    fish.shape(_chaikin(tail, 2), body, out)
    for v in (-0.25, -0.1, 0.1, 0.25):
        fish.line([(-0.48, v * 0.2), (-0.88, v * 1.4)], out, 0.01)
    fish.shape(
        _chaikin([(0.22, -0.27), (0.05, -0.46), (-0.25, -0.42), (-0.2, -0.22)], 2), body, out
    )
    fish.shape(_chaikin([(0.3, 0.16), (0.28, 0.46), (0.1, 0.52), (0.14, 0.26)], 2), body, out)
    outline = [
        (0.64, 0.0),
        (0.52, -0.2),
        (0.2, -0.3),
        (-0.15, -0.25),
        (-0.45, -0.08),
        (-0.5, 0.0),
        (-0.45, 0.08),
        (-0.15, 0.22),
        (0.2, 0.27),
        (0.52, 0.18),
    ]
    fish.shape(_chaikin(outline, 3), body, out)
    fish.ellipse(0.12, -0.1, 0.15, 0.09, fill=patch, outline=None, angle=10)
    fish.ellipse(-0.2, 0.04, 0.1, 0.07, fill=patch, outline=None, angle=-15)
    for gx in range(-3, 4):
        for gy in range(-2, 3):
            x, y = gx * 0.1 - 0.02 + (0.05 if gy % 2 else 0.0), gy * 0.08
            if (x / 0.48) ** 2 + (y / 0.22) ** 2 < 0.75:
                fish.arc(x, y, 0.05, 0.045, 100, 260, out, 0.008)
    fish.dot(0.46, -0.07, 0.035, out)
    for v in (-1, 1):
        fish.line(
            _bezier((0.6, 0.05 * v), (0.7, 0.1 * v + 0.1), (0.68, 0.2), (0.6, 0.26 + 0.04 * v), 10),
            out,
            0.01,
        )


def _m_skull(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    out = pal.outline
    bone = pal.pick("white", "yellow", "grey")
    if bone == pal.wash:
        bone = (238, 232, 218, 225)
    cranium = [
        (-0.5, -0.2),
        (-0.46, -0.62),
        (0.0, -0.84),
        (0.46, -0.62),
        (0.5, -0.2),
        (0.42, 0.12),
        (0.28, 0.22),
        (0.28, 0.38),
        (-0.28, 0.38),
        (-0.28, 0.22),
        (-0.42, 0.12),
    ]
    jaw = [(-0.3, 0.36), (0.3, 0.36), (0.28, 0.6), (0.12, 0.72), (-0.12, 0.72), (-0.28, 0.6)]
    pen.shape(_chaikin(jaw, 2), bone, out)
    pen.shape(_chaikin(cranium, 3), bone, out)
    for sx in (-1, 1):
        pen.ellipse(sx * 0.21, -0.12, 0.16, 0.14, fill=out, outline=None, angle=sx * 12)
        pen.arc(
            sx * 0.38, -0.5, 0.12, 0.2, 100 if sx > 0 else -80, 180 if sx > 0 else 0, out, 0.012
        )
    pen.shape([(0.0, 0.03), (-0.075, 0.17), (0.075, 0.17)], out, out, 0.01)
    pen.line([(-0.22, 0.38), (0.22, 0.38)], out, 0.015)
    for i in range(-3, 4):
        pen.line([(i * 0.06, 0.26), (i * 0.06, 0.5)], out, 0.012, caps=False)
    pen.line([(-0.2, 0.5), (0.2, 0.5)], out, 0.012)


def _m_cross(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    out = pal.outline
    fill = pal.pick("blue", "red", "brown", "green", "yellow")
    for k in range(16):
        ang = k * 22.5 + 11.25
        a = math.radians(ang)
        r0, r1 = 0.42, 0.62 + (0.1 if k % 2 else 0.0)
        pen.line(
            [
                (r0 * math.cos(a), -0.38 + r0 * math.sin(a)),
                (r1 * math.cos(a), -0.38 + r1 * math.sin(a)),
            ],
            out,
            0.012,
        )
    cross = [
        (-0.1, -0.9),
        (0.1, -0.9),
        (0.1, -0.48),
        (0.46, -0.48),
        (0.46, -0.28),
        (0.1, -0.28),
        (0.1, 0.88),
        (-0.1, 0.88),
        (-0.1, -0.28),
        (-0.46, -0.28),
        (-0.46, -0.48),
        (-0.1, -0.48),
    ]
    pen.shape(cross, fill, out, 0.035)
    inner = [
        (-0.05, -0.84),
        (0.05, -0.84),
        (0.05, -0.43),
        (0.4, -0.43),
        (0.4, -0.33),
        (0.05, -0.33),
        (0.05, 0.82),
        (-0.05, 0.82),
        (-0.05, -0.33),
        (-0.4, -0.33),
        (-0.4, -0.43),
        (-0.05, -0.43),
    ]
    pen.shape(inner, None, out, 0.01)
    for i in range(15):
        t = i / 14
        x = -0.46 + 0.92 * t
        pen.dot(x, -0.22 + 0.5 * (1 - (2 * t - 1) ** 2), 0.025, out)


def _m_compass(
    pen: _Pen, pal: _Palette, rng: random.Random, layer: Image.Image, text: str | None
) -> None:
    out = pal.outline
    light = pal.pick("blue", "red", "yellow", "green")
    pen.ellipse(0.0, 0.0, 0.78, outline=out, width=0.04)
    pen.ellipse(0.0, 0.0, 0.7, outline=out, width=0.015)
    for k in range(72):
        a = math.radians(k * 5)
        r1 = 0.62 if k % 18 == 0 else (0.66 if k % 2 == 0 else 0.68)
        pen.line(
            [(0.7 * math.cos(a), 0.7 * math.sin(a)), (r1 * math.cos(a), r1 * math.sin(a))],
            out,
            0.008,
            caps=False,
        )
    for length, width, offset in ((0.45, 0.09, 45.0), (0.66, 0.12, 0.0)):
        for k in range(4):
            a = math.radians(offset + k * 90 - 90)
            tip = (length * math.cos(a), length * math.sin(a))
            side = (width * math.cos(a + math.pi / 2), width * math.sin(a + math.pi / 2))
            pen.shape([(0.0, 0.0), tip, side], _rgba(out[:3], 235), out, 0.012)
            pen.shape([(0.0, 0.0), tip, (-side[0], -side[1])], light, out, 0.012)
    pen.ellipse(0.0, 0.0, 0.05, fill=(240, 236, 226, 230), outline=out, width=0.015)
    for label, a in (("N", -90), ("E", 0), ("S", 90), ("W", 180)):
        r = math.radians(a)
        pen.text(0.9 * math.cos(r), 0.9 * math.sin(r), label, 0.16, out)


def _m_text(layer: Image.Image, pal: _Palette, rng: random.Random, text: str) -> None:
    pen = _Pen(ImageDraw.Draw(layer), _CW / 2, _CH / 2, _CH * 0.4)
    _ink_text(layer, text, (_CW * 0.1, _CH * 0.22, _CW * 0.9, _CH * 0.7), pal.outline, slant=0.24)
    flourish = _bezier((-1.0, 0.55), (-0.4, 0.85), (0.3, 0.35), (1.0, 0.62))
    pen.line(flourish, pal.outline, 0.018)
    pen.line(_bezier((0.72, 0.58), (0.9, 0.45), (1.02, 0.7), (0.86, 0.72), 14), pal.outline, 0.014)


_MOTIFS: dict[str, Motif] = {
    "rose": _m_rose,
    "flower": _m_flower,
    "anchor": _m_anchor,
    "swallow": _m_swallow,
    "heart": _m_heart,
    "stars": _m_stars,
    "star": _m_star,
    "butterfly": _m_butterfly,
    "dragon": _m_dragon,
    "serpent": _m_serpent,
    "koi": _m_koi,
    "skull": _m_skull,
    "cross": _m_cross,
    "compass": _m_compass,
    "text": lambda pen, pal, rng, layer, text: None,
}


# --- clothing ---------------------------------------------------------------------------


class _Cloth:
    def __init__(self, base: Rgb) -> None:
        self.fill = _rgba(base)
        dark = _luma(base) < 60
        self.edge = _rgba(_mix(base, (255, 255, 255), 0.3) if dark else _shade(base, 0.55))
        self.seam = _rgba(_mix(base, (255, 255, 255), 0.18) if dark else _shade(base, 0.78))
        self.trim = _rgba(_shade(base, 0.82) if not dark else _mix(base, (255, 255, 255), 0.08))
        self.contrast = _rgba((240, 240, 236) if _luma(base) < 150 else (34, 34, 38))


ClothingFn = Callable[[_Pen, _Cloth, random.Random, Image.Image, str | None, str], None]


def _clothing_kind(item: str) -> str:
    words = item.lower().replace("-", " ")
    table = (
        (("trainer", "sneaker", "shoe", "boot", "trainers"), "trainers"),
        (("cap", "hat", "beanie"), "cap"),
        (
            ("jean", "trouser", "pants", "chino", "jogging bottoms", "leggings", "shorts"),
            "trousers",
        ),
        (("coat", "parka", "raincoat", "trench", "mac"), "coat"),
        (("jacket", "anorak", "blazer", "fleece", "gilet", "body warmer"), "jacket"),
        (
            ("sweater", "jumper", "hoodie", "cardigan", "sweatshirt", "pullover", "long sleeve"),
            "sweater",
        ),
    )
    for keys, kind in table:
        if any(k in words.split() or k in words for k in keys):
            return kind
    return "t-shirt"


def _fabric(layer: Image.Image, rng: random.Random) -> Image.Image:
    """Light falls from the top left; textile grain keeps the flat fill from looking digital."""
    alpha = layer.getchannel("A")
    grad = Image.linear_gradient("L").rotate(-35, resample=Image.Resampling.BICUBIC, fillcolor=128)
    grad = grad.resize(layer.size).point([255 - v // 5 for v in range(256)])
    light = Image.merge("RGB", (grad, grad, grad))
    rgb = ImageChops.multiply(layer.convert("RGB"), light)
    grain = _noise(rng, _CW // 2, _CH // 2, layer.size).point([230 + v // 10 for v in range(256)])
    rgb = ImageChops.multiply(rgb, Image.merge("RGB", (grain, grain, grain)))
    out = rgb.convert("RGBA")
    out.putalpha(alpha)
    return out


def _hood(pen: _Pen, c: _Cloth) -> None:
    """A hood lies flat behind the collar when a garment is laid out for photographing."""
    outer = [(-0.42, -0.66), (-0.4, -0.9), (-0.2, -1.03), (0.2, -1.03), (0.4, -0.9), (0.42, -0.66)]
    pen.shape(_chaikin(outer, 2), c.fill, c.edge, 0.012)
    inner = [(-0.26, -0.74), (-0.24, -0.9), (0.0, -0.96), (0.24, -0.9), (0.26, -0.74)]
    pen.shape(_chaikin(inner, 2), c.trim, c.edge, 0.008)


def _c_jacket(
    pen: _Pen, c: _Cloth, rng: random.Random, layer: Image.Image, label: str | None, item: str
) -> None:
    long = "coat" in item or "parka" in item or "trench" in item or "raincoat" in item
    hem = 0.95 if long else 0.68
    hood = any(w in item for w in ("hood", "anorak", "parka"))
    if hood:
        _hood(pen, c)
    for sx in (-1, 1):
        sleeve = [
            (-0.46, -0.68),
            (-0.62, -0.6),
            (-0.86, 0.42 if not long else 0.5),
            (-0.68, 0.48 if not long else 0.56),
            (-0.5, -0.18),
        ]
        pen.shape([(sx * x, y) for x, y in sleeve], c.fill, c.edge, 0.012)
        cuff = (
            [(-0.86, 0.36), (-0.67, 0.42), (-0.68, 0.48), (-0.86, 0.42)]
            if not long
            else [(-0.86, 0.44), (-0.67, 0.5), (-0.68, 0.56), (-0.86, 0.5)]
        )
        pen.shape([(sx * x, y) for x, y in cuff], c.trim, c.edge, 0.008)
    body = [
        (-0.18, -0.8),
        (-0.48, -0.7),
        (-0.47 - (0.06 if long else 0.0), hem),
        (0.47 + (0.06 if long else 0.0), hem),
        (0.48, -0.7),
        (0.18, -0.8),
        (0.0, -0.6),
    ]
    pen.shape(body, c.fill, c.edge, 0.012)
    if not long:
        pen.shape(
            [(-0.47, hem - 0.08), (0.47, hem - 0.08), (0.47, hem), (-0.47, hem)],
            c.trim,
            c.edge,
            0.008,
        )
    for sx in (-1, 1):
        lapel = [(0.0, -0.6), (sx * 0.18, -0.8), (sx * 0.26, -0.74), (sx * 0.12, -0.35)]
        pen.shape(lapel, c.trim, c.edge, 0.01)
        pen.line(
            [(sx * 0.36, 0.05 if not long else 0.25), (sx * 0.28, 0.3 if not long else 0.5)],
            c.edge,
            0.012,
        )
        pen.line(
            [(sx * 0.4, -0.1), (sx * 0.45, 0.35 if not long else 0.65)], c.seam, 0.006, caps=False
        )
    if long:
        pen.shape([(-0.53, 0.2), (0.53, 0.2), (0.53, 0.28), (-0.53, 0.28)], c.trim, c.edge, 0.008)
        for row in range(4):
            for sx in (-1, 1):
                pen.ellipse(sx * 0.08, -0.2 + row * 0.28, 0.025, fill=c.edge, outline=None)
    else:
        pen.line([(0.0, -0.58), (0.0, hem)], c.edge, 0.012)
        for i in range(40):
            y = -0.56 + i * (hem + 0.56) / 40
            pen.line([(-0.012, y), (0.012, y)], c.seam, 0.005, caps=False)
    if label:
        pen.text(-0.24, -0.45, label, 0.05, c.contrast)


def _c_tshirt(
    pen: _Pen, c: _Cloth, rng: random.Random, layer: Image.Image, label: str | None, item: str
) -> None:
    long = _clothing_kind(item) == "sweater"
    hood = "hood" in item
    if hood:
        _hood(pen, c)
    for sx in (-1, 1):
        if long:
            sleeve = [(-0.45, -0.64), (-0.6, -0.56), (-0.84, 0.36), (-0.66, 0.42), (-0.46, -0.2)]
            cuff = [(-0.84, 0.3), (-0.66, 0.36), (-0.66, 0.42), (-0.84, 0.36)]
            pen.shape([(sx * x, y) for x, y in sleeve], c.fill, c.edge, 0.012)
            pen.shape([(sx * x, y) for x, y in cuff], c.trim, c.edge, 0.008)
        else:
            sleeve = [(-0.45, -0.64), (-0.8, -0.36), (-0.64, -0.14), (-0.44, -0.3)]
            pen.shape([(sx * x, y) for x, y in sleeve], c.fill, c.edge, 0.012)
            pen.line([(sx * -0.78, -0.38), (sx * -0.62, -0.17)], c.seam, 0.008)
    body = [(-0.2, -0.72), (-0.45, -0.64), (-0.43, 0.7), (0.43, 0.7), (0.45, -0.64), (0.2, -0.72)]
    pen.shape(body, c.fill, c.edge, 0.012)
    pen.shape(_arc_pts(0.0, -0.72, 0.2, 0.14, 0, 180, 24), c.trim, c.edge, 0.012)
    if long:
        pen.shape([(-0.43, 0.62), (0.43, 0.62), (0.43, 0.7), (-0.43, 0.7)], c.trim, c.edge, 0.008)
    if hood:
        pen.shape([(-0.28, 0.18), (0.28, 0.18), (0.33, 0.5), (-0.33, 0.5)], None, c.edge, 0.01)
    for _ in range(3):
        x = rng.uniform(-0.3, 0.3)
        pen.line(
            _bezier((x, 0.1), (x + 0.05, 0.25), (x - 0.05, 0.4), (x + 0.02, 0.6), 10),
            c.seam,
            0.006,
            caps=False,
        )
    if label:
        pen.text(0.0, -0.3, label, 0.12, c.contrast)


def _c_trousers(
    pen: _Pen, c: _Cloth, rng: random.Random, layer: Image.Image, label: str | None, item: str
) -> None:
    short = "short" in item
    leg = 0.2 if short else 0.92
    for sx in (-1, 1):
        shape = [(0.0, -0.76), (sx * 0.42, -0.76), (sx * 0.46, leg), (sx * 0.08, leg), (0.0, -0.4)]
        pen.shape(shape, c.fill, c.edge, 0.012)
        pen.line([(sx * 0.4, -0.55), (sx * 0.28, leg)], c.seam, 0.006, caps=False)
        pen.arc(
            sx * 0.34, -0.78, 0.16, 0.2, 60 if sx < 0 else 100, 110 if sx < 0 else 150, c.edge, 0.01
        )
        pen.shape(
            [(sx * 0.08, leg - 0.05), (sx * 0.46, leg - 0.05), (sx * 0.46, leg), (sx * 0.08, leg)],
            None,
            c.seam,
            0.006,
        )
    pen.shape([(-0.42, -0.86), (0.42, -0.86), (0.42, -0.76), (-0.42, -0.76)], c.trim, c.edge, 0.01)
    for x in (-0.3, -0.1, 0.1, 0.3):
        pen.shape(
            [(x - 0.02, -0.88), (x + 0.02, -0.88), (x + 0.02, -0.73), (x - 0.02, -0.73)],
            c.trim,
            c.edge,
            0.006,
        )
    pen.ellipse(0.0, -0.81, 0.025, fill=(190, 170, 110, 255), outline=c.edge, width=0.006)
    pen.line(_bezier((0.0, -0.76), (0.1, -0.7), (0.1, -0.45), (0.0, -0.4), 12), c.edge, 0.01)
    if label:
        pen.shape(
            [(0.2, -0.72), (0.36, -0.72), (0.36, -0.64), (0.2, -0.64)], (150, 110, 70, 255), None
        )
        pen.text(0.28, -0.68, label[:8], 0.04, (250, 240, 220, 255))


def _c_trainers(
    pen: _Pen, c: _Cloth, rng: random.Random, layer: Image.Image, label: str | None, item: str
) -> None:
    sole_col: Rgba = (238, 236, 230, 255) if _luma(c.fill[:3]) < 200 else (214, 214, 210, 255)
    shoe = _Pen(pen.d, pen.cx, pen.cy + 0.08 * pen.r, pen.r * 1.02, angle=pen.angle)
    upper = [
        (-0.86, 0.22),
        (-0.86, -0.12),
        (-0.8, -0.28),
        (-0.6, -0.3),
        (-0.36, -0.2),
        (-0.22, -0.44),
        (0.0, -0.4),
        (0.3, -0.2),
        (0.62, -0.06),
        (0.88, 0.06),
        (0.92, 0.22),
    ]
    shoe.shape(_chaikin(upper, 2), c.fill, c.edge, 0.014)
    sole = [(-0.9, 0.2), (0.94, 0.2), (0.96, 0.3), (0.88, 0.38), (-0.86, 0.38), (-0.92, 0.3)]
    shoe.shape(_chaikin(sole, 1), sole_col, (120, 120, 120, 255), 0.012)
    shoe.line([(-0.88, 0.3), (0.93, 0.3)], (170, 170, 170, 255), 0.008, caps=False)
    shoe.shape(
        _chaikin([(0.55, -0.08), (0.88, 0.06), (0.92, 0.2), (0.6, 0.2)], 1),
        c.trim,
        c.edge,
        0.01,
    )
    stripe = _bezier((-0.5, 0.12), (-0.2, 0.1), (0.1, -0.05), (0.45, -0.16), 16)
    shoe.line(stripe, c.contrast, 0.05)
    for i in range(6):
        t = i / 5
        x, y = -0.2 + 0.48 * t, -0.38 + 0.26 * t
        shoe.line([(x - 0.05, y - 0.03), (x + 0.06, y + 0.05)], (236, 236, 236, 255), 0.016)
    shoe.shape(
        [(-0.86, -0.12), (-0.78, -0.3), (-0.7, -0.28), (-0.76, -0.08)], c.trim, c.edge, 0.008
    )
    if label:
        shoe.text(-0.55, 0.0, label[:10], 0.06, c.contrast)


def _c_cap(
    pen: _Pen, c: _Cloth, rng: random.Random, layer: Image.Image, label: str | None, item: str
) -> None:
    brim = _chaikin(
        [(0.34, 0.1), (0.7, 0.06), (0.98, 0.18), (0.9, 0.34), (0.5, 0.3), (0.3, 0.24)], 2
    )
    pen.shape(brim, c.trim, c.edge, 0.014)
    pen.line(_bezier((0.36, 0.16), (0.6, 0.14), (0.85, 0.2), (0.92, 0.28), 12), c.seam, 0.006)
    crown = _arc_pts(-0.1, 0.25, 0.62, 0.78, 180, 360, 40)
    pen.shape(crown, c.fill, c.edge, 0.014)
    for bx in (-0.45, -0.1, 0.25):
        pen.line(
            _bezier((-0.1, -0.52), (bx * 0.5 - 0.05, -0.3), (bx, 0.0), (bx, 0.25), 14), c.seam, 0.01
        )
    pen.ellipse(-0.1, -0.53, 0.05, fill=c.trim, outline=c.edge, width=0.01)
    pen.shape([(-0.72, 0.18), (0.52, 0.18), (0.52, 0.26), (-0.72, 0.26)], c.trim, c.edge, 0.008)
    for i in range(3):
        pen.ellipse(-0.5 + i * 0.3, -0.15, 0.02, fill=c.edge, outline=None)
    if label:
        pen.text(0.08, -0.12, label, 0.1, c.contrast)


_CLOTHING: dict[str, ClothingFn] = {
    "jacket": _c_jacket,
    "coat": _c_jacket,
    "t-shirt": _c_tshirt,
    "sweater": _c_tshirt,
    "trousers": _c_trousers,
    "trainers": _c_trainers,
    "cap": _c_cap,
}


# --- jewellery --------------------------------------------------------------------------


def _metal_rgb(material: str) -> Rgb:
    key = material.lower().strip()
    if key in _METALS:
        return _METALS[key]
    for name in sorted(_METALS, key=len, reverse=True):
        if name in key:
            return _METALS[name]
    return _METALS["silver"]


class _Metal:
    def __init__(self, base: Rgb) -> None:
        self.base = _rgba(base)
        self.light = _rgba(_mix(base, (255, 255, 250), 0.55))
        self.dark = _rgba(_shade(base, 0.55))
        self.deep = _rgba(_shade(base, 0.35))

    def at(self, t: float) -> Rgba:
        """Colour across a cylindrical surface: dark edge, bright highlight, mid tone."""
        t = min(1.0, max(0.0, t))
        if t < 0.35:
            c = _mix(self.dark[:3], self.light[:3], t / 0.35)
        else:
            c = _mix(self.light[:3], self.base[:3], (t - 0.35) / 0.65)
        return _rgba(c)


JewelleryFn = Callable[[Image.Image, _Metal, random.Random, str | None, str, str], None]


def _jewellery_kind(item: str) -> str:
    words = item.lower()
    for key, kind in (
        ("watch", "watch"),
        ("neck", "necklace"),
        ("chain", "necklace"),
        ("pendant", "necklace"),
        ("locket", "necklace"),
        ("bracelet", "bracelet"),
        ("bangle", "bracelet"),
        ("ear", "earrings"),
        ("ring", "ring"),
        ("band", "ring"),
    ):
        if key in words:
            return kind
    raise ValueError(f"no drawing for jewellery item {item!r}; expected one of {JEWELLERY_ITEMS}")


def _engraved(draw: ImageDraw.ImageDraw, xy: Pt, text: str, font: Font, metal: _Metal) -> None:
    draw.text((xy[0] + 2, xy[1] + 2), text, font=font, fill=metal.light, anchor="mm")
    draw.text(xy, text, font=font, fill=metal.deep, anchor="mm")


def _band(
    draw: ImageDraw.ImageDraw,
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    thick: float,
    depth: float,
    metal: _Metal,
) -> None:
    steps = max(2, int(depth / 2))
    for i in range(steps, 0, -1):
        off = depth * i / steps
        draw.ellipse(
            [cx - rx, cy - ry + off, cx + rx, cy + ry + off], outline=metal.dark, width=int(thick)
        )
    rings = 10
    for i in range(rings):
        t = i / (rings - 1)
        inset = thick * t
        draw.ellipse(
            [cx - rx + inset, cy - ry + inset * 0.7, cx + rx - inset, cy + ry - inset * 0.7],
            outline=metal.at(t),
            width=max(2, int(thick / rings) + 2),
        )


def _j_ring(
    layer: Image.Image,
    metal: _Metal,
    rng: random.Random,
    text: str | None,
    pendant: str,
    material: str,
) -> None:
    draw = ImageDraw.Draw(layer)
    cy = _CH * (0.36 if text else 0.5)
    _band(draw, _CW / 2, cy, _CH * 0.3, _CH * 0.17, _CH * 0.05, _CH * 0.06, metal)
    if "signet" in material or pendant == "stone":
        draw.ellipse(
            [_CW / 2 - 50, cy - _CH * 0.2, _CW / 2 + 50, cy - _CH * 0.2 + 60],
            fill=(40, 90, 160, 255),
            outline=metal.dark,
            width=8,
        )
    if text:
        top, bottom = _CH * 0.66, _CH * 0.84
        left, right = _CW * 0.12, _CW * 0.88
        steps = 12
        for i in range(steps):
            y0 = top + (bottom - top) * i / steps
            draw.rectangle(
                [left, y0, right, y0 + (bottom - top) / steps + 1], fill=metal.at(i / (steps - 1))
            )
        font = _fit_font(
            text, (right - left) * 0.9, (bottom - top) * 0.6, int((bottom - top) * 0.6)
        )
        _engraved(draw, ((left + right) / 2, (top + bottom) / 2), text, font, metal)
        draw.text(
            (_CW / 2, _CH * 0.91),
            "engraving inside the band",
            font=_font(30),
            fill=(200, 196, 210, 255),
            anchor="mm",
        )


def _j_necklace(
    layer: Image.Image,
    metal: _Metal,
    rng: random.Random,
    text: str | None,
    pendant: str,
    material: str,
) -> None:
    draw = ImageDraw.Draw(layer)
    pen = _Pen(draw, _CW / 2, _CH * 0.5, _CH * 0.46)
    path = [(x / 100, 0.2 - ((x / 100) / 0.78) ** 2 * 1.05) for x in range(-78, 79)]
    # Walk the curve at an even spacing so the links stay the same size on the steep ends.
    links: list[Pt] = [path[0]]
    for pt in path[1:]:
        if math.dist(pt, links[-1]) >= 0.045:
            links.append(pt)
    for i, (x, y) in enumerate(links):
        theta, _, _ = _path_normal(links, i)
        cx, cy = pen.p(x, y)
        rx, ry = 0.032 * pen.r, (0.018 if i % 2 else 0.008) * pen.r
        pts = _ellipse_pts(cx, cy, rx, ry, math.degrees(theta), 20)
        draw.line([*pts, pts[0]], fill=metal.dark, width=6, joint="curve")
        draw.line([*pts, pts[0]], fill=metal.at(0.4 if i % 2 else 0.15), width=3, joint="curve")
    bx, by = pen.p(0.0, 0.26)
    draw.ellipse([bx - 14, by - 18, bx + 14, by + 18], outline=metal.base, width=7)
    px, py = pen.p(0.0, 0.5)
    size = 0.2 * pen.r
    kind = pendant if pendant in ("heart", "cross", "disc", "letter", "stone") else "disc"
    if kind == "letter" and text:
        font = _font(int(size * 2.2))
        draw.text((px + 4, py + 4), text[:2], font=font, fill=metal.deep, anchor="mm")
        draw.text(
            (px, py),
            text[:2],
            font=font,
            fill=metal.base,
            anchor="mm",
            stroke_width=5,
            stroke_fill=metal.dark,
        )
        return
    if kind == "heart":
        shape = _heart_pts(px, py, size * 1.1)
    elif kind == "cross":
        w, h = size * 0.28, size * 1.2
        shape = [
            (px - w, py - h),
            (px + w, py - h),
            (px + w, py - h * 0.45),
            (px + size * 0.8, py - h * 0.45),
            (px + size * 0.8, py - h * 0.1),
            (px + w, py - h * 0.1),
            (px + w, py + h),
            (px - w, py + h),
            (px - w, py - h * 0.1),
            (px - size * 0.8, py - h * 0.1),
            (px - size * 0.8, py - h * 0.45),
            (px - w, py - h * 0.45),
        ]
    elif kind == "stone":
        shape = _chaikin(
            [
                (px, py - size * 1.1),
                (px + size * 0.7, py + size * 0.1),
                (px, py + size),
                (px - size * 0.7, py + size * 0.1),
            ],
            2,
        )
    else:
        shape = _ellipse_pts(px, py, size * 1.1, size * 1.1)
    draw.polygon(shape, fill=metal.base)
    draw.line([*shape, shape[0]], fill=metal.dark, width=8, joint="curve")
    if kind == "stone":
        inner = _chaikin(
            [
                (px, py - size * 0.8),
                (px + size * 0.45, py + size * 0.1),
                (px, py + size * 0.7),
                (px - size * 0.45, py + size * 0.1),
            ],
            2,
        )
        draw.polygon(inner, fill=(150, 30, 60, 255))
    draw.ellipse(
        [px - size * 0.55, py - size * 0.6, px - size * 0.25, py - size * 0.35], fill=metal.light
    )
    if text and kind in ("disc", "heart"):
        font = _fit_font(text, size * 1.6, size * 0.8, int(size * 0.7))
        _engraved(draw, (px, py), text, font, metal)


def _j_watch(
    layer: Image.Image,
    metal: _Metal,
    rng: random.Random,
    text: str | None,
    pendant: str,
    material: str,
) -> None:
    draw = ImageDraw.Draw(layer)
    cx = _CW * (0.36 if text else 0.5)
    cy, r = _CH * 0.5, _CH * 0.26
    leather = "leather" in material or "plastic" in material or "strap" in material
    strap = (
        (86, 52, 32, 255)
        if "leather" in material
        else ((30, 30, 34, 255) if leather else metal.base)
    )
    for sy in (-1, 1):
        y0, y1 = sorted((cy + sy * r * 0.7, cy + sy * _CH * 0.5))
        draw.rounded_rectangle(
            [cx - r * 0.55, y0, cx + r * 0.55, y1],
            radius=12,
            fill=strap,
            outline=_shade_rgba(strap, 0.6),
            width=4,
        )
        if not leather:
            for y in range(int(y0) + 20, int(y1), 34):
                draw.line([(cx - r * 0.55, y), (cx + r * 0.55, y)], fill=metal.dark, width=4)
        else:
            draw.line(
                [(cx - r * 0.45, y0), (cx - r * 0.45, y1)], fill=(200, 180, 150, 120), width=2
            )
            draw.line(
                [(cx + r * 0.45, y0), (cx + r * 0.45, y1)], fill=(200, 180, 150, 120), width=2
            )
    draw.rectangle([cx + r * 0.95, cy - 18, cx + r * 1.12, cy + 18], fill=metal.dark)
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=metal.dark)
    draw.ellipse([cx - r * 0.95, cy - r * 0.95, cx + r * 0.95, cy + r * 0.95], fill=metal.light)
    draw.ellipse([cx - r * 0.86, cy - r * 0.86, cx + r * 0.86, cy + r * 0.86], fill=metal.base)
    dial: Rgba = (34, 36, 44, 255) if rng.random() < 0.35 else (246, 244, 236, 255)
    marks: Rgba = (230, 230, 230, 255) if dial[0] < 100 else (30, 30, 34, 255)
    draw.ellipse([cx - r * 0.8, cy - r * 0.8, cx + r * 0.8, cy + r * 0.8], fill=dial)
    for k in range(12):
        a = math.radians(k * 30 - 90)
        r0 = r * (0.62 if k % 3 == 0 else 0.68)
        draw.line(
            [
                (cx + r0 * math.cos(a), cy + r0 * math.sin(a)),
                (cx + r * 0.74 * math.cos(a), cy + r * 0.74 * math.sin(a)),
            ],
            fill=marks,
            width=8 if k % 3 == 0 else 4,
        )
    hour, minute = rng.randrange(12), rng.randrange(60)
    for length, width, angle in ((0.42, 10, (hour + minute / 60) * 30), (0.62, 6, minute * 6)):
        a = math.radians(angle - 90)
        draw.line(
            [(cx, cy), (cx + r * length * math.cos(a), cy + r * length * math.sin(a))],
            fill=marks,
            width=width,
        )
    a = math.radians(rng.randrange(60) * 6 - 90)
    draw.line(
        [(cx, cy), (cx + r * 0.7 * math.cos(a), cy + r * 0.7 * math.sin(a))],
        fill=(190, 40, 40, 255),
        width=3,
    )
    draw.ellipse([cx - 10, cy - 10, cx + 10, cy + 10], fill=marks)
    if text:
        bx, by, br = _CW * 0.74, cy, _CH * 0.24
        draw.ellipse([bx - br, by - br, bx + br, by + br], fill=metal.dark)
        draw.ellipse(
            [bx - br * 0.94, by - br * 0.94, bx + br * 0.94, by + br * 0.94], fill=metal.base
        )
        words = text.split()
        lines = (
            [text]
            if len(text) <= 12 or len(words) < 2
            else [" ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2 :])]
        )
        for i, line in enumerate(lines):
            font = _fit_font(line, br * 1.5, br * 0.4, int(br * 0.32))
            _engraved(draw, (bx, by + (i - (len(lines) - 1) / 2) * br * 0.42), line, font, metal)
        draw.text(
            (bx, by + br + 30), "case back", font=_font(28), fill=(200, 196, 210, 255), anchor="mm"
        )


def _shade_rgba(c: Rgba, factor: float) -> Rgba:
    return _rgba(_shade(c[:3], factor), c[3])


def _j_bracelet(
    layer: Image.Image,
    metal: _Metal,
    rng: random.Random,
    text: str | None,
    pendant: str,
    material: str,
) -> None:
    draw = ImageDraw.Draw(layer)
    cx, cy = _CW / 2, _CH * (0.42 if text else 0.5)
    rx, ry = _CH * 0.4, _CH * 0.22
    for i in range(36):
        t = 2 * math.pi * i / 36
        x, y = cx + rx * math.cos(t), cy + ry * math.sin(t)
        pts = _ellipse_pts(x, y, 22, 12 if i % 2 else 5, math.degrees(t) + 90, 16)
        draw.line([*pts, pts[0]], fill=metal.dark, width=7, joint="curve")
        draw.line([*pts, pts[0]], fill=metal.at(0.3), width=3, joint="curve")
    if text:
        tx, ty = cx, cy + ry + 60
        draw.rounded_rectangle(
            [tx - 200, ty - 40, tx + 200, ty + 40],
            radius=30,
            fill=metal.base,
            outline=metal.dark,
            width=6,
        )
        _engraved(draw, (tx, ty), text, _fit_font(text, 360, 60, 56), metal)


def _j_earrings(
    layer: Image.Image,
    metal: _Metal,
    rng: random.Random,
    text: str | None,
    pendant: str,
    material: str,
) -> None:
    draw = ImageDraw.Draw(layer)
    for sx in (-1, 1):
        cx = _CW / 2 + sx * _CW * 0.18
        _band(draw, cx, _CH * 0.5, _CH * 0.16, _CH * 0.16, _CH * 0.025, 4, metal)
        draw.line(
            [(cx, _CH * 0.5 - _CH * 0.16), (cx, _CH * 0.5 - _CH * 0.22)], fill=metal.dark, width=6
        )


_JEWELLERY: dict[str, JewelleryFn] = {
    "ring": _j_ring,
    "necklace": _j_necklace,
    "watch": _j_watch,
    "bracelet": _j_bracelet,
    "earrings": _j_earrings,
}


# --- objects ----------------------------------------------------------------------------


ObjectFn = Callable[[Image.Image, random.Random, str | None, str | None, str | None], None]


def _object_kind(item: str) -> str:
    words = item.lower()
    for key, kind in (
        ("lighter", "lighter"),
        ("key", "keys"),
        ("phone", "phone"),
        ("mobile", "phone"),
        ("wallet", "wallet"),
        ("purse", "wallet"),
    ):
        if key in words:
            return kind
    raise ValueError(f"no drawing for object {item!r}; expected one of {OBJECT_ITEMS}")


def _vertical_metal(
    draw: ImageDraw.ImageDraw,
    box: tuple[float, float, float, float],
    metal: _Metal,
    rng: random.Random,
) -> None:
    x0, y0, x1, y1 = box
    width = int(x1 - x0)
    for i in range(width):
        t = i / max(1, width - 1)
        c = metal.at(0.15 + 0.85 * t if t > 0.1 else t * 1.5)
        # Brushed metal: each column a touch lighter or darker than its neighbour.
        j = rng.randrange(-6, 7)
        fill = (
            min(255, max(0, c[0] + j)),
            min(255, max(0, c[1] + j)),
            min(255, max(0, c[2] + j)),
            255,
        )
        draw.line([(x0 + i, y0), (x0 + i, y1)], fill=fill)


def _o_lighter(
    layer: Image.Image,
    rng: random.Random,
    colour: str | None,
    text: str | None,
    engraving: str | None,
) -> None:
    draw = ImageDraw.Draw(layer)
    cx, cy = _CW * 0.5, _CH * 0.46
    if colour:
        plastic = colour_rgb(colour)
        body = [cx - 90, cy - 120, cx + 90, cy + 300]
        draw.rounded_rectangle(
            body, radius=40, fill=_rgba(plastic), outline=_rgba(_shade(plastic, 0.6)), width=6
        )
        draw.rounded_rectangle(
            [cx - 60, cy - 100, cx - 30, cy + 270],
            radius=14,
            fill=_rgba(_mix(plastic, (255, 255, 255), 0.35), 200),
        )
        steel = _Metal(_METALS["steel"])
        hood = Image.new("RGBA", layer.size, (0, 0, 0, 0))
        _vertical_metal(ImageDraw.Draw(hood), (cx - 86, cy - 300, cx + 86, cy - 120), steel, rng)
        layer.alpha_composite(hood)
        for row in range(3):
            for col in range(5):
                x, y = cx - 10 + col * 20, cy - 270 + row * 26
                draw.ellipse([x - 6, y - 6, x + 6, y + 6], fill=(40, 40, 44, 255))
        draw.ellipse(
            [cx - 80, cy - 230, cx - 10, cy - 160],
            fill=(90, 92, 96, 255),
            outline=(50, 50, 54, 255),
            width=4,
        )
        for k in range(18):
            a = math.radians(k * 20)
            draw.line(
                [
                    (cx - 45 + 30 * math.cos(a), cy - 195 + 30 * math.sin(a)),
                    (cx - 45 + 36 * math.cos(a), cy - 195 + 36 * math.sin(a)),
                ],
                fill=(50, 50, 54, 255),
                width=3,
            )
        draw.rectangle([cx + 10, cy - 150, cx + 86, cy - 120], fill=_rgba(_shade(plastic, 0.7)))
        return
    metal = _Metal(_METALS["brass"] if rng.random() < 0.5 else _METALS["chrome"])
    _vertical_metal(draw, (cx - 130, cy - 280, cx + 130, cy + 300), metal, rng)
    # Round the corners by cutting them back out of the layer.
    mask = Image.new("L", layer.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        [cx - 130, cy - 280, cx + 130, cy + 300], radius=46, fill=255
    )
    layer.putalpha(ImageChops.multiply(layer.getchannel("A"), mask))
    draw.line([(cx - 130, cy - 110), (cx + 130, cy - 110)], fill=metal.deep, width=5)
    for y in (cy - 150, cy - 122, cy - 94):
        draw.rectangle([cx + 122, y, cx + 134, y + 22], fill=metal.dark)
    draw.rounded_rectangle(
        [cx - 130, cy - 280, cx + 130, cy + 300], radius=46, outline=metal.deep, width=5
    )
    if engraving == "ship":
        hull = [(cx - 80, cy + 80), (cx + 80, cy + 80), (cx + 55, cy + 130), (cx - 55, cy + 130)]
        draw.line([*hull, hull[0]], fill=metal.deep, width=5)
        draw.line([(cx, cy + 80), (cx, cy - 60)], fill=metal.deep, width=5)
        for sail in (
            [(cx + 8, cy - 50), (cx + 70, cy + 60), (cx + 8, cy + 60)],
            [(cx - 8, cy - 40), (cx - 60, cy + 60), (cx - 8, cy + 60)],
        ):
            draw.line([*sail, sail[0]], fill=metal.deep, width=4)
        for i in range(5):
            draw.arc(
                [cx - 110 + i * 44, cy + 135, cx - 70 + i * 44, cy + 165],
                200,
                340,
                fill=metal.deep,
                width=4,
            )
    elif engraving == "star":
        pts = _star_pts(cx, cy + 60, 90, 38)
        draw.line([*pts, pts[0]], fill=metal.deep, width=5)
    if text:
        font = _fit_font(text, 220, 60, 54)
        _engraved(draw, (cx, cy + 230), text, font, metal)


def _key(
    draw: ImageDraw.ImageDraw,
    ox: float,
    oy: float,
    angle: float,
    metal: _Metal,
    scale: float,
    bit: bool,
) -> None:
    ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))

    def p(u: float, v: float) -> Pt:
        return (ox + (u * ca - v * sa) * scale, oy + (u * sa + v * ca) * scale)

    bow = [
        p(0.2 * math.cos(t / 12 * math.pi) + 0.18, 0.17 * math.sin(t / 12 * math.pi))
        for t in range(24)
    ]
    draw.polygon(bow, fill=metal.base, outline=metal.deep, width=4)
    hx, hy = p(0.06, 0.0)
    draw.ellipse(
        [hx - 0.045 * scale, hy - 0.045 * scale, hx + 0.045 * scale, hy + 0.045 * scale],
        fill=(0, 0, 0, 0),
        outline=metal.deep,
        width=3,
    )
    if bit:
        shank = [p(0.36, -0.03), p(1.0, -0.03), p(1.0, 0.03), p(0.36, 0.03)]
        draw.polygon(shank, fill=metal.base, outline=metal.deep, width=3)
        ward = [
            p(0.86, 0.03),
            p(0.98, 0.03),
            p(0.98, 0.2),
            p(0.92, 0.2),
            p(0.92, 0.12),
            p(0.86, 0.12),
        ]
        draw.polygon(ward, fill=metal.base, outline=metal.deep, width=3)
        return
    blade = [p(0.36, -0.06), p(1.02, -0.06), p(1.08, 0.0)]
    teeth = [0.0, 0.06, 0.02, 0.08, 0.03, 0.07, 0.01, 0.05]
    for i, depth in enumerate(teeth):
        blade.append(p(1.0 - i * 0.08, 0.03 + depth))
    blade.append(p(0.36, 0.08))
    draw.polygon(blade, fill=metal.base, outline=metal.deep, width=3)
    draw.line([p(0.4, 0.0), p(0.98, 0.0)], fill=metal.dark, width=3)


def _o_keys(
    layer: Image.Image,
    rng: random.Random,
    colour: str | None,
    text: str | None,
    engraving: str | None,
) -> None:
    draw = ImageDraw.Draw(layer)
    rx, ry, rr = _CW * 0.34, _CH * 0.3, _CH * 0.12
    steel = _Metal(_METALS["steel"])
    metals = [_Metal(_METALS["brass"]), _Metal(_METALS["steel"]), _Metal(_METALS["chrome"])]
    angles = [18.0, 42.0, 68.0]
    for i, angle in enumerate(angles):
        a = math.radians(angle)
        ox, oy = rx + rr * math.cos(a), ry + rr * math.sin(a)
        _key(
            draw,
            ox - 0.06 * 360 * math.cos(a),
            oy - 0.06 * 360 * math.sin(a),
            angle,
            metals[i],
            360 + rng.uniform(-30, 30),
            bit=i == 2 and rng.random() < 0.5,
        )
    if colour:
        fob = colour_rgb(colour)
        a = math.radians(125)
        fx, fy = rx + rr * math.cos(a), ry + rr * math.sin(a)
        box = [fx - 150, fy + 20, fx + 40, fy + 140]
        draw.rounded_rectangle(
            box, radius=30, fill=_rgba(fob), outline=_rgba(_shade(fob, 0.6)), width=5
        )
        draw.ellipse(
            [fx - 12, fy + 30, fx + 12, fy + 54],
            fill=(0, 0, 0, 0),
            outline=_rgba(_shade(fob, 0.6)),
            width=4,
        )
        if text:
            ink = (250, 250, 250, 255) if _luma(fob) < 140 else (20, 20, 24, 255)
            font = _fit_font(text, 150, 70, 48)
            draw.text((fx - 60, fy + 95), text, font=font, fill=ink, anchor="mm")
    draw.ellipse([rx - rr, ry - rr, rx + rr, ry + rr], outline=steel.deep, width=16)
    draw.ellipse([rx - rr + 3, ry - rr + 3, rx + rr - 3, ry + rr - 3], outline=steel.light, width=8)


def _o_phone(
    layer: Image.Image,
    rng: random.Random,
    colour: str | None,
    text: str | None,
    engraving: str | None,
) -> None:
    draw = ImageDraw.Draw(layer)
    cx, cy = _CW * 0.5, _CH * 0.45
    case = colour_rgb(colour) if colour else (30, 30, 34)
    draw.rounded_rectangle(
        [cx - 170, cy - 330, cx + 170, cy + 330],
        radius=44,
        fill=_rgba(case),
        outline=(20, 20, 22, 255),
        width=6,
    )
    draw.rounded_rectangle(
        [cx - 150, cy - 300, cx + 150, cy + 300], radius=26, fill=(18, 22, 30, 255)
    )
    draw.polygon(
        [(cx - 150, cy - 300), (cx + 20, cy - 300), (cx - 150, cy + 40)], fill=(60, 66, 80, 120)
    )
    draw.ellipse([cx - 10, cy - 292, cx + 10, cy - 272], fill=(50, 50, 60, 255))
    for _ in range(3):
        x = rng.uniform(cx - 120, cx + 80)
        y = rng.uniform(cy - 200, cy + 200)
        draw.line(
            [(x, y), (x + rng.uniform(20, 80), y + rng.uniform(-30, 30))],
            fill=(150, 156, 170, 255),
            width=2,
        )


def _o_wallet(
    layer: Image.Image,
    rng: random.Random,
    colour: str | None,
    text: str | None,
    engraving: str | None,
) -> None:
    draw = ImageDraw.Draw(layer)
    leather = colour_rgb(colour) if colour else (92, 56, 34)
    cx, cy = _CW * 0.5, _CH * 0.45
    draw.rounded_rectangle(
        [cx - 300, cy - 200, cx + 300, cy + 200],
        radius=30,
        fill=_rgba(leather),
        outline=_rgba(_shade(leather, 0.6)),
        width=6,
    )
    draw.rounded_rectangle(
        [cx - 280, cy - 180, cx + 280, cy + 180],
        radius=22,
        outline=_rgba(_mix(leather, (255, 240, 200), 0.4)),
        width=3,
    )
    draw.line([(cx, cy - 200), (cx, cy + 200)], fill=_rgba(_shade(leather, 0.55)), width=6)
    if text:
        draw.text(
            (cx + 150, cy),
            text,
            font=_fit_font(text, 240, 60, 48),
            fill=_rgba(_shade(leather, 0.5)),
            anchor="mm",
        )


_OBJECTS: dict[str, ObjectFn] = {
    "lighter": _o_lighter,
    "keys": _o_keys,
    "phone": _o_phone,
    "wallet": _o_wallet,
}
