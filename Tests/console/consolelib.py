"""What the console's browser test and `make screenshots` share: a home of their own with the
shop of Examples/webapp/cluster.lua on the local provider (a balancer, real HAProxy, and three
web servers, each with its agent), its app from a git repository of this fixture's (tags v1 and
v2), an admin and a show-level user with tokens, `recipe serve` on a free loopback port, and
headless chromium (Debian's, through selenium). `close()` stops the browser and serve (by its
PID), destroys the cluster (its agents and services with it) and removes the home.
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
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOP = os.path.join(ROOT, "Examples/webapp/cluster.lua")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class ConsoleFixture:
    def __init__(self, recipe, width=1280, height=800):
        self.binary = recipe
        self.home = tempfile.mkdtemp(prefix="recipe-console-")
        self.env = dict(os.environ, RECIPE_HOME=os.path.join(self.home, "home"), RECIPE_STDLIB=os.path.join(ROOT, "Stdlib"))
        self.serve = None
        self.browser = None
        try:
            self.repository = self.app_repository()
            self.recipe("run", SHOP, f"source=git+file:{self.repository}", "ref=v1")
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
            while not listening(port):
                if time.monotonic() > deadline:
                    raise RuntimeError("recipe serve did not listen: " + open(self.log).read())
                time.sleep(0.1)
            options = webdriver.ChromeOptions()
            options.binary_location = "/usr/bin/chromium"
            for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
                options.add_argument(argument)
            self.browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
            self.viewport(width, height)
        except BaseException:
            self.close()
            raise

    def viewport(self, width, height):
        """A window is at least 500 px wide: narrower is a phone's viewport, emulated."""
        self.browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                     {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def app_repository(self):
        """The shop's app as a git repository: v1, and v2 one commit later."""
        path = os.path.join(self.home, "shop-app")
        shutil.copytree(os.path.join(ROOT, "Examples/webapp/app"), path)
        git = lambda *arguments: subprocess.run(["git", "-C", path, *arguments], check=True, capture_output=True,
                                                env=dict(self.env, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t"))
        git("init", "-q")
        for version in ("v1", "v2"):
            with open(os.path.join(path, "VERSION"), "w") as f:
                f.write(version + "\n")
            git("add", "-A")
            git("commit", "-q", "-m", version)
            git("tag", version)
        return path

    def close(self):
        if self.browser:
            self.browser.quit()
        if self.serve:
            self.serve.kill()
            self.serve.wait()
        try:
            self.recipe("destroy", "shop", "--yes")
        except (subprocess.CalledProcessError, FileNotFoundError):
            pass  # never made, or already gone
        shutil.rmtree(self.home, ignore_errors=True)

    def recipe(self, *arguments):
        return subprocess.run([self.binary, *arguments], env=self.env, check=True, capture_output=True, text=True).stdout

    def submit(self, button, confirm=False):
        """Clicks a form's button (answering its question yes, when it asks one) and waits for the
        page the form's answer is: a new document, which has no mark of the old one (chromedriver's
        staleness checks race with navigation)."""
        self.browser.execute_script("window.submittedFrom = true")
        button.click()
        if confirm:
            WebDriverWait(self.browser, 5).until(expected_conditions.alert_is_present()).accept()
        WebDriverWait(self.browser, 60, ignored_exceptions=(WebDriverException,)).until(
            lambda browser: browser.execute_script("return !window.submittedFrom && document.readyState === 'complete'"))
        return self.browser.find_element(By.TAG_NAME, "h1").text

    def deploy(self, ref):
        """Deploys `ref` of the shop from its deploy page by click, confirmed, and waits for the
        live log's status line to say how the rollout ended; that line's text."""
        self.browser.get(self.url + "/clusters/shop/deploys")
        field = self.browser.find_element(By.ID, "ref-shop")
        field.clear()
        field.send_keys(ref)
        self.submit(self.browser.find_element(By.CSS_SELECTOR, "form.deploy button"), confirm=True)
        return self.rollout_end()

    def rollout_end(self, timeout=90):
        """The deploy page's status line once it says Succeeded or Failed."""
        status = self.browser.find_element(By.CSS_SELECTOR, "[data-status]")
        WebDriverWait(self.browser, timeout).until(lambda _: status.text.startswith(("Succeeded", "Failed")))
        return status.text

    def sign_in(self, token):
        """Signs in from a cookie-less start; the title of the page it lands on."""
        self.browser.delete_all_cookies()
        self.browser.get(self.url + "/")
        if not self.browser.current_url.endswith("/signin"):
            raise AssertionError(f"not sent to sign in: {self.browser.current_url}")
        self.browser.find_element(By.ID, "token").send_keys(token)
        return self.submit(self.browser.find_element(By.CSS_SELECTOR, "form.card button"))
