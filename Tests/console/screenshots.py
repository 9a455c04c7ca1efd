"""`make screenshots`: the console's clusters, cluster, deploys, graphs and events pages at a
desktop's 1280x800 and a phone's 390x844, as PNG files in docs/console/ (the README shows them).
The shop is deployed to v2 by a click first, so the deploy page shows a rollout's log, and an
hour of a pushed metric (orders per minute) is loaded beside the agents' own samples.

Usage: .venv/bin/python Tests/console/screenshots.py [path/to/recipe] [folder]
"""
import math
import os
import sys
import time

from consolelib import ROOT, ConsoleFixture

RECIPE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/recipe"))
FOLDER = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "docs/console"))
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def main():
    os.makedirs(FOLDER, exist_ok=True)
    console = ConsoleFixture(RECIPE)
    try:
        for minute in range(60, 0, -2):
            for n, web in enumerate(("web-1", "web-2", "web-3")):
                orders = 40 + 25 * math.sin(minute / 9 + n) + 5 * n
                console.recipe("metrics", "put", "shop", web, "orders_per_min", f"{orders:.1f}", "--ago", f"{minute}m")
        console.recipe("emit", "shop", "app.ready", "--subject", "web-1", "--detail", "a screenshot's event")
        console.sign_in(console.admin)
        console.deploy("v2")
        deploys = console.browser.current_url
        time.sleep(12)  # a few heartbeats: the agents' own samples reach the graphs
        pages = {"clusters": "/clusters", "cluster": "/clusters/shop", "deploys": deploys,
                 "graphs": "/clusters/shop/graphs?range=1h&view=layers", "events": "/clusters/shop/events"}
        for size, (width, height) in SIZES.items():
            console.viewport(width, height)
            for name, path in pages.items():
                console.browser.get(path if path.startswith("http") else console.url + path)
                target = os.path.join(FOLDER, f"{name}-{size}.png")
                console.browser.save_screenshot(target)
                print(target)
    finally:
        console.close()


if __name__ == "__main__":
    main()
