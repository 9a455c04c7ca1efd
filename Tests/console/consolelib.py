"""What the console's browser test and `make screenshots` share: a home of their own with a
memory-provider cluster `shop` (a balancer and two web servers), an admin and a show-level user
with tokens, `recipe serve` on a free loopback port, and headless chromium (Debian's, through
selenium). `close()` stops the browser and serve (by its PID) and removes the home.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOP = 'cluster "shop" { provider = { kind = "memory" }, layers = { web = { count = 2 }, lb = { count = 1 } } }\n'


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ConsoleFixture:
    def __init__(self, recipe, width=1280, height=800):
        self.binary = recipe
        self.home = tempfile.mkdtemp(prefix="recipe-console-")
        self.env = dict(os.environ, RECIPE_HOME=os.path.join(self.home, "home"), RECIPE_STDLIB=os.path.join(ROOT, "Stdlib"))
        self.serve = None
        self.browser = None
        try:
            path = os.path.join(self.home, "shop.lua")
            with open(path, "w") as f:
                f.write(SHOP)
            self.recipe("run", path)
            self.recipe("user", "add", "root", "--admin")
            self.recipe("user", "add", "viewer")
            self.recipe("grant", "viewer", "shop", "show")
            self.admin = self.recipe("token", "create", "root").strip()
            self.viewer = self.recipe("token", "create", "viewer").strip()
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            self.log = os.path.join(self.home, "serve.log")
            with open(self.log, "w") as log:
                self.serve = subprocess.Popen([recipe, "serve", "--listen", f"127.0.0.1:{port}"], env=self.env,
                                              stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 20
            while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
                if time.monotonic() > deadline:
                    raise RuntimeError("recipe serve did not listen: " + open(self.log).read())
                time.sleep(0.1)
            options = webdriver.ChromeOptions()
            options.binary_location = "/usr/bin/chromium"
            for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
                options.add_argument(argument)
            self.browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
            # a window is at least 500 px wide: narrower is a phone's viewport, emulated
            self.browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                         {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.browser:
            self.browser.quit()
        if self.serve:
            self.serve.kill()
            self.serve.wait()
        shutil.rmtree(self.home, ignore_errors=True)

    def recipe(self, *arguments):
        return subprocess.run([self.binary, *arguments], env=self.env, check=True, capture_output=True, text=True).stdout

    def submit(self, button):
        """Clicks a form's button and waits for the page the form's answer is: a new document,
        which has no mark of the old one (chromedriver's staleness checks race with navigation)."""
        self.browser.execute_script("window.submittedFrom = true")
        button.click()
        WebDriverWait(self.browser, 10, ignored_exceptions=(WebDriverException,)).until(
            lambda browser: browser.execute_script("return !window.submittedFrom && document.readyState === 'complete'"))
        return self.browser.find_element(By.TAG_NAME, "h1").text

    def sign_in(self, token):
        """Signs in from a cookie-less start; the title of the page it lands on."""
        self.browser.delete_all_cookies()
        self.browser.get(self.url + "/")
        if not self.browser.current_url.endswith("/signin"):
            raise AssertionError(f"not sent to sign in: {self.browser.current_url}")
        self.browser.find_element(By.ID, "token").send_keys(token)
        return self.submit(self.browser.find_element(By.CSS_SELECTOR, "form.card button"))
