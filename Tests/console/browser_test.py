"""The console in a real browser: Debian's chromium, driven by selenium, against a `recipe serve`
of a home of its own (a memory-provider cluster `shop`: a balancer and two web servers).

Usage: .venv/bin/python Tests/console/browser_test.py [path/to/recipe]   (default .build/debug/recipe)
Everything is on loopback; serve is stopped by its PID and the home removed, whatever happens.
"""
import os
import sys
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from consolelib import ROOT, ConsoleFixture

RECIPE = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/recipe"))


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
        return [row.find_elements(By.TAG_NAME, "td") for row in self.browser.find_elements(By.CSS_SELECTOR, "tr.instance")]

    def test_1_admin_sees_the_instances_with_health_and_scales_web_to_five(self):
        self.sign_in(self.admin)
        self.browser.find_element(By.LINK_TEXT, "shop").click()
        rows = self.instances()
        self.assertEqual(sorted(cells[0].text for cells in rows), ["lb-1", "web-1", "web-2"])
        self.assertTrue(all(cells[3].text == "healthy" for cells in rows), [cells[3].text for cells in rows])
        count = self.browser.find_element(By.ID, "count-web")
        count.clear()
        count.send_keys("5")
        self.submit(count.find_element(By.XPATH, "./following-sibling::button"))
        webs = [cells[0].text for cells in self.instances() if cells[0].text.startswith("web-")]
        self.assertEqual(sorted(webs), ["web-1", "web-2", "web-3", "web-4", "web-5"])

    def test_2_a_forged_form_token_changes_nothing(self):
        self.sign_in(self.admin)
        self.browser.get(self.url + "/clusters/shop")
        before = len(self.instances())
        self.browser.execute_script("document.querySelectorAll('input[name=csrf]').forEach(i => i.value = 'forged')")
        count = self.browser.find_element(By.ID, "count-web")
        count.clear()
        count.send_keys("1")
        self.assertEqual(self.submit(count.find_element(By.XPATH, "./following-sibling::button")), "403")
        self.assertIn("CSRF", self.browser.find_element(By.CSS_SELECTOR, ".problem").text)
        self.browser.get(self.url + "/clusters/shop")
        self.assertEqual(len(self.instances()), before)

    def test_3_a_show_user_sees_no_action_and_a_post_anyway_is_refused(self):
        self.sign_in(self.viewer)
        self.browser.get(self.url + "/clusters/shop")
        self.assertTrue(self.instances(), "the viewer sees the instances")
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form.scale"), [], "no scale form for a show-level user")
        status = self.browser.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const csrf = document.querySelector('input[name=csrf]').value;
            fetch('/clusters/shop/layers/web/scale', {method: 'POST', body: new URLSearchParams({csrf, count: '1'})})
              .then(r => done(r.status), e => done(String(e)));
        """)
        self.assertEqual(status, 403)
        self.assertIn("viewer", self.recipe("events", "--kind", "api.refused"))

    def test_4_the_event_page_updates_live_when_an_event_is_emitted(self):
        self.sign_in(self.admin)
        self.browser.get(self.url + "/clusters/shop/events")
        rows = lambda: [row.text for row in self.browser.find_elements(By.CSS_SELECTOR, "tr.event")]
        self.assertTrue(rows(), "the cluster's events so far")
        self.assertFalse(any("app.ready" in row for row in rows()))
        self.recipe("emit", "shop", "app.ready", "--subject", "web-1", "--detail", "from the browser test")
        WebDriverWait(self.browser, 10).until(lambda browser: "app.ready" in rows()[0])
        time = self.browser.find_element(By.CSS_SELECTOR, "tr.event time")
        self.assertFalse(time.text.endswith("Z"), f"shown in the viewer's zone, not UTC: {time.text}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
