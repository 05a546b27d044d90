"""Draw the site's icons (static/icons/): the favicon, the app icons and their SVG twin.

Run once after changing the design: `python tools/make-icons.py`. The PNG and ICO files are
committed, so neither the app nor the tests need this script.
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
ACCENT, WHITE, GREEN = "#0b5c8a", "#ffffff", "#1f9d55"

# A map pin holding a check mark, on a rounded square; coordinates on a 64-unit grid.
SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
<rect width="64" height="64" rx="14" fill="{ACCENT}"/>
<path d="M32 8c-10.5 0-19 8.3-19 18.6C13 40 32 56 32 56s19-16 19-29.4C51 16.3 42.5 8 32 8z" fill="{WHITE}"/>
<path d="M23.5 27.5l6 6 11-12" fill="none" stroke="{GREEN}" stroke-width="5"
 stroke-linecap="round" stroke-linejoin="round"/>
</svg>
"""


def draw(size: int, padded: bool = False) -> Image.Image:
    """The icon at `size` pixels; `padded` leaves the safe zone maskable app icons need."""
    scale = 4  # draw large, then downsample for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    unit, origin = big / 64, 0.0
    if padded:
        pen.rectangle([0, 0, big, big], fill=ACCENT)
        origin, unit = big * 0.15, unit * 0.7
    else:
        pen.rounded_rectangle([0, 0, big - 1, big - 1], radius=14 * unit, fill=ACCENT)

    def p(x: float, y: float) -> tuple[float, float]:
        return origin + x * unit, origin + y * unit

    # pin: a circle and a triangle meeting at the point
    cx, cy, r = 32, 26.6, 19
    pen.ellipse([*p(cx - r, cy - r), *p(cx + r, cy + r)], fill=WHITE)
    pen.polygon([p(15.5, 35), p(48.5, 35), p(32, 56)], fill=WHITE)
    pen.line([p(23.5, 27.5), p(29.5, 33.5), p(40.5, 21.5)], fill=GREEN, width=round(5 * unit), joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon.svg").write_text(SVG)
    draw(180).save(OUT / "apple-touch-icon.png", optimize=True)
    draw(192).save(OUT / "icon-192.png", optimize=True)
    draw(512).save(OUT / "icon-512.png", optimize=True)
    draw(512, padded=True).save(OUT / "icon-maskable-512.png", optimize=True)
    draw(48).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])


if __name__ == "__main__":
    main()
