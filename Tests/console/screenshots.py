"""`make screenshots`: the console's clusters, cluster and events pages at a desktop's 1280x800
and a phone's 390x844, as PNG files in docs/console/ (the README shows them).

Usage: .venv/bin/python Tests/console/screenshots.py [path/to/recipe] [folder]
"""
import os
import sys

from consolelib import ROOT, ConsoleFixture

RECIPE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/recipe"))
FOLDER = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "docs/console"))
PAGES = {"clusters": "/clusters", "cluster": "/clusters/shop", "events": "/clusters/shop/events"}
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def main():
    os.makedirs(FOLDER, exist_ok=True)
    for size, (width, height) in SIZES.items():
        console = ConsoleFixture(RECIPE, width=width, height=height)
        try:
            console.recipe("emit", "shop", "app.ready", "--subject", "web-1", "--detail", "a screenshot's event")
            console.sign_in(console.admin)
            for name, path in PAGES.items():
                console.browser.get(console.url + path)
                target = os.path.join(FOLDER, f"{name}-{size}.png")
                console.browser.save_screenshot(target)
                print(target)
        finally:
            console.close()


if __name__ == "__main__":
    main()
