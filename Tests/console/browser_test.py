"""The console in a real browser: Debian's chromium, driven by selenium, against a `recipe serve`
of a home of its own with the shop of Examples/webapp/cluster.lua on the local provider (a
balancer and three web servers, real agents and HAProxy; consolelib.py).

Usage: .venv/bin/python Tests/console/browser_test.py [path/to/recipe]   (default .build/debug/recipe)
Everything is on loopback; serve is stopped by its PID, the cluster destroyed and the home
removed, whatever happens.
"""
import os
import subprocess
import sys
import time
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from consolelib import ROOT, ConsoleFixture

RECIPE = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/recipe"))
NAME, LAYER, HEALTH, RELEASE = 0, 2, 4, 5  # the instance table's columns


class ConsoleInABrowser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.console = ConsoleFixture(RECIPE)
        cls.browser, cls.url = cls.console.browser, cls.console.url
        cls.admin, cls.viewer = cls.console.admin, cls.console.viewer
        cls.recipe = staticmethod(cls.console.recipe)
        cls.submit = staticmethod(cls.console.submit)

    @classmethod
    def tearDownClass(cls):
        cls.console.close()

    def sign_in(self, token):
        self.assertEqual(self.console.sign_in(token), "Clusters")

    def instances(self):
        return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in self.browser.find_elements(By.CSS_SELECTOR, "tr.instance")]

    def instances_once(self, ready, timeout=30):
        """The cluster page's instance rows once `ready(rows)` holds, reloading (the page is not live)."""
        deadline = time.monotonic() + timeout
        while True:
            self.browser.get(self.url + "/clusters/shop")
            rows = self.instances()
            if ready(rows) or time.monotonic() > deadline:
                return rows
            time.sleep(1)

    def test_1_admin_sees_the_shops_four_instances_with_their_health(self):
        self.sign_in(self.admin)
        self.browser.find_element(By.LINK_TEXT, "shop").click()
        self.assertEqual(sorted(cells[NAME] for cells in self.instances()), ["lb-1", "web-1", "web-2", "web-3"])
        rows = self.instances_once(lambda rows: all(cells[HEALTH] == "healthy" for cells in rows))
        self.assertEqual([cells[HEALTH] for cells in rows], ["healthy"] * 4, "each agent reports its instance healthy")
        self.assertEqual([cells[RELEASE] for cells in rows if cells[LAYER] == "web"], ["shop v1"] * 3)

    def test_2_a_deploy_of_v2_is_one_click_and_its_live_log_ends_in_success(self):
        self.sign_in(self.admin)
        status = self.console.deploy("v2")
        self.assertTrue(status.startswith("Succeeded"), status)
        log = [line.get_attribute("data-kind") for line in self.browser.find_elements(By.CSS_SELECTOR, "#deploy-log li")]
        self.assertEqual([kind for kind in log if kind.startswith("deploy.")], ["deploy.started", "deploy.finished"], "the log begins at the click")
        self.assertEqual(log.count("hook.drain"), 3, "the balancer drained each web instance in turn")
        rows = self.instances_once(lambda rows: True)
        self.assertEqual([cells[RELEASE] for cells in rows if cells[LAYER] == "web"], ["shop v2"] * 3)
        self.browser.get(self.url + "/clusters/shop/deploys")
        fleet = [row.text for row in self.browser.find_elements(By.CSS_SELECTOR, "table.fleet tbody tr")]
        self.assertEqual(len(fleet), 3)
        self.assertTrue(all(" v2 " in row for row in fleet), f"every web instance answers v2 itself: {fleet}")

    def test_2b_a_bad_ref_fails_in_the_log_and_a_rollback_is_one_click_too(self):
        self.sign_in(self.admin)
        status = self.console.deploy("no-such-tag")
        self.assertTrue(status.startswith("Failed") and "no-such-tag" in status, status)
        self.browser.get(self.url + "/clusters/shop/deploys")
        self.submit(self.browser.find_element(By.CSS_SELECTOR, "form.rollback button"), confirm=True)
        status = self.console.rollout_end()
        self.assertTrue(status.startswith("Succeeded"), status)
        rows = self.instances_once(lambda rows: True)
        self.assertEqual([cells[RELEASE] for cells in rows if cells[LAYER] == "web"], ["shop v1"] * 3, "rolled back to v1")
        self.browser.get(self.url + "/clusters/shop/deploys")
        history = [row.text for row in self.browser.find_elements(By.CSS_SELECTOR, "table.history tbody tr")]
        self.assertIn("rolledback", history[0], "newest first: the rollback")
        self.assertTrue(any("failed" in row and "no-such-tag" in row for row in history), history)
        self.assertTrue(all("root" in row for row in history[:3]), f"who did it: {history[:3]}")

    def test_3_admin_scales_web_to_five_and_sees_five(self):
        self.sign_in(self.admin)
        self.browser.get(self.url + "/clusters/shop")
        count = self.browser.find_element(By.ID, "count-web")
        count.clear()
        count.send_keys("5")
        self.submit(count.find_element(By.XPATH, "./following-sibling::button"), confirm=True)
        webs = [cells[NAME] for cells in self.instances() if cells[LAYER] == "web"]
        self.assertEqual(webs, ["web-1", "web-2", "web-3", "web-4", "web-5"])

    def test_4_a_forged_form_token_changes_nothing(self):
        self.sign_in(self.admin)
        self.browser.get(self.url + "/clusters/shop")
        before = len(self.instances())
        self.browser.execute_script("document.querySelectorAll('input[name=csrf]').forEach(i => i.value = 'forged')")
        count = self.browser.find_element(By.ID, "count-web")
        count.clear()
        count.send_keys("1")
        self.assertEqual(self.submit(count.find_element(By.XPATH, "./following-sibling::button"), confirm=True), "403")
        self.assertIn("CSRF", self.browser.find_element(By.CSS_SELECTOR, ".problem").text)
        self.browser.get(self.url + "/clusters/shop")
        self.assertEqual(len(self.instances()), before)

    def test_5_a_show_user_sees_no_action_and_a_post_anyway_is_refused(self):
        self.sign_in(self.viewer)
        for page in ("/clusters/shop", "/clusters/shop/deploys"):
            self.browser.get(self.url + page)
            forms = [form.get_attribute("action") for form in self.browser.find_elements(By.CSS_SELECTOR, "main form[method=post]")]
            self.assertEqual(forms, [], f"no action on {page} for a show-level user")
        self.assertTrue(self.browser.find_elements(By.CSS_SELECTOR, "table.fleet tr"), "the viewer sees what runs where")
        for action, body in (("layers/web/scale", "{csrf, count: '1'}"), ("apps/shop/deploy", "{csrf, ref: 'v1'}")):
            status = self.browser.execute_async_script(f"""
                const done = arguments[arguments.length - 1];
                const csrf = document.querySelector('input[name=csrf]').value;
                fetch('/clusters/shop/{action}', {{method: 'POST', body: new URLSearchParams({body})}})
                  .then(r => done(r.status), e => done(String(e)));
            """)
            self.assertEqual(status, 403, action)
        refused = self.recipe("events", "--kind", "api.refused")
        self.assertIn("viewer", refused)
        self.assertIn("deploy", refused)

    def test_6_the_event_page_updates_live_when_an_event_is_emitted(self):
        self.sign_in(self.admin)
        self.browser.get(self.url + "/clusters/shop/events")
        rows = lambda: [row.text for row in self.browser.find_elements(By.CSS_SELECTOR, "tr.event")]
        self.assertTrue(rows(), "the cluster's events so far")
        self.assertFalse(any("app.ready" in row for row in rows()))
        self.recipe("emit", "shop", "app.ready", "--subject", "web-1", "--detail", "from the browser test")
        WebDriverWait(self.browser, 10).until(lambda browser: "app.ready" in rows()[0])
        time_shown = self.browser.find_element(By.CSS_SELECTOR, "tr.event time")
        self.assertFalse(time_shown.text.endswith("Z"), f"shown in the viewer's zone, not UTC: {time_shown.text}")

    def test_7_graphs_draw_the_agents_samples_and_pushed_metrics_per_layer_and_instance(self):
        self.recipe("metrics", "put", "shop", "web-1", "queue_depth", "5", "--ago", "40m")
        self.recipe("metrics", "put", "shop", "web-1", "queue_depth", "9")
        self.sign_in(self.admin)
        captions = lambda: [caption.text for caption in self.browser.find_elements(By.CSS_SELECTOR, "figure.graph figcaption")]
        legends = lambda: [item.text for item in self.browser.find_elements(By.CSS_SELECTOR, "figure.graph:first-child .legend li")]
        self.browser.get(self.url + "/clusters/shop/graphs?range=1h")
        self.assertEqual(captions()[:1], ["CPU (%)"], "the agents' heartbeats are drawn")
        self.assertIn("queue_depth", captions())
        self.assertEqual(sorted(legends()), ["lb", "web"], "a line per layer")
        lines = self.browser.find_elements(By.CSS_SELECTOR, "figure.graph svg polyline, figure.graph svg circle")
        self.assertTrue(lines, "the samples are drawn as lines")
        for range_link in ("24h", "30d"):
            self.browser.find_element(By.LINK_TEXT, range_link).click()
            self.assertIn("queue_depth", captions(), range_link)
        self.browser.get(self.url + "/clusters/shop/graphs?range=1h&view=layer:web")
        self.assertEqual(legends(), ["web-1", "web-2", "web-3", "web-4", "web-5"], "a line per instance of the layer")
        self.browser.get(self.url + "/clusters/shop/graphs?range=1h&view=instance:web-1")
        self.assertEqual(legends(), ["web-1"])
        self.assertEqual(self.console.sign_in(self.admin), "Clusters")
        self.browser.get(self.url + "/clusters/shop/graphs?range=7y")
        self.assertEqual(self.browser.find_element(By.TAG_NAME, "h1").text, "400")

    def test_8_every_page_is_valid_html(self):
        """As the controller sends them (not the browser's DOM), checked by Debian's tidy."""
        self.sign_in(self.admin)
        for page in ("/clusters", "/clusters/shop", "/clusters/shop/deploys", "/clusters/shop/graphs?range=24h&view=layer:web",
                     "/clusters/shop/events", "/clusters/shop/usage", "/clusters/shop/plan", "/users"):
            html = self.browser.execute_async_script("""
                const done = arguments[arguments.length - 1];
                fetch(arguments[0]).then(r => r.text()).then(done, e => done(String(e)));
            """, page)
            tidy = subprocess.run(["tidy", "-e", "-q"], input=html, capture_output=True, text=True)
            self.assertEqual(tidy.stderr.strip(), "", f"{page}: {tidy.stderr}")
            self.assertIn("<h1>", html, page)


if __name__ == "__main__":
    unittest.main(verbosity=2)
