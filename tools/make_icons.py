"""Render the app icons (PNG) from static/icons/icon.svg with Chromium (no Pillow needed).

Usage: .venv/bin/python tools/make_icons.py   (writes static/icons/*.png; commit them)
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "static" / "icons"
RED = "#c8102e"
# name, size, glyph scale (share of the canvas), full-bleed background
SPECS = [
    ("icon-192.png", 192, 1.0, False),
    ("icon-512.png", 512, 1.0, False),
    # maskable: the glyph inside the 80% safe zone, the background to the edges
    ("icon-maskable-512.png", 512, 0.72, True),
    # iOS masks the corners itself and shows transparency as black
    ("apple-touch-icon.png", 180, 1.0, True),
]


def main() -> None:
    svg = (ICONS / "icon.svg").read_text(encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu"],
        )
        for name, size, scale, bleed in SPECS:
            page = browser.new_page(viewport={"width": size, "height": size},
                                    device_scale_factor=1)
            glyph = int(size * scale)
            bg = RED if bleed else "transparent"
            page.set_content(
                f"<html><body style='margin:0;width:{size}px;height:{size}px;background:{bg};"
                f"display:flex;align-items:center;justify-content:center'>"
                f"<div style='width:{glyph}px;height:{glyph}px'>{svg}</div></body></html>"
            )
            page.locator("svg").evaluate(
                "s => { s.setAttribute('width', '100%'); s.setAttribute('height', '100%'); }"
            )
            page.screenshot(path=str(ICONS / name), omit_background=not bleed,
                            clip={"x": 0, "y": 0, "width": size, "height": size})
            page.close()
            print("wrote", ICONS / name)
        browser.close()


if __name__ == "__main__":
    main()
