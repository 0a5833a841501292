#!/usr/bin/python3
"""newcomer.py: the README's walk-through, step 4 and 5, in headless Chromium: sign in to a berth-api that
serves an empty repo, make a static-site stack from the New stack form, then run the pipeline and watch
the page follow the stack until it is deployed and healthy.

usage: newcomer.py URL TOKEN SITE_PORT SHOTS_DIR PIPELINE_COMMAND
Prints TAP. PIPELINE_COMMAND is a shell command that reconciles the origin (what a CI job runs)."""
import os
import subprocess
import sys

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, done  # noqa: E402

url, token, site_port, shots, pipeline = sys.argv[1:6]
os.makedirs(shots, exist_ok=True)
o = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=375,900"):
    o.add_argument(a)
d = webdriver.Chrome(options=o)
d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 375, "height": 900, "deviceScaleFactor": 1, "mobile": False})
w = WebDriverWait(d, 20, ignored_exceptions=(StaleElementReferenceException,))
try:
    d.get(url)
    w.until(EC.presence_of_element_located((By.ID, "token")))
    d.switch_to.active_element.send_keys(token, Keys.ENTER)
    w.until(EC.presence_of_element_located((By.ID, "stacks")))
    check("signed in, the empty repo's list of stacks is shown", d.find_elements(By.CSS_SELECTOR, "#stacks tbody tr") == [])
    d.find_element(By.ID, "nav-new").click()
    w.until(EC.presence_of_element_located((By.ID, "stack-form")))
    Select(d.find_element(By.ID, "definition")).select_by_value("static-site")
    w.until(EC.presence_of_element_located((By.ID, "opt-port")))
    d.find_element(By.ID, "name").send_keys("site")
    # Nothing can be pulled here: the image every test runs, which has busybox httpd.
    image = d.find_element(By.ID, "opt-image")
    image.clear()
    image.send_keys("berth-test/busybox:latest")
    port = d.find_element(By.ID, "opt-port")
    port.clear()
    port.send_keys(site_port)
    d.save_screenshot(os.path.join(shots, "newcomer-form.png"))
    d.find_element(By.ID, "create").click()
    w.until(EC.presence_of_element_located((By.ID, "committed")))
    check("Create commits the stack to the empty repo", d.find_element(By.ID, "committed").text.startswith("committed "))
    r = subprocess.run(["bash", "-c", pipeline], capture_output=True, text=True)
    check("the pipeline deploys it", r.returncode == 0, r.stdout[-1500:] + r.stderr[-500:])
    WebDriverWait(d, 60, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda _: "healthy" in d.find_element(By.ID, "deploy-progress").text and
        "unhealthy" not in d.find_element(By.ID, "deploy-progress").text)
    d.save_screenshot(os.path.join(shots, "newcomer-deployed.png"))
    check("the page follows it until it runs, healthy", "1/1 running" in d.find_element(By.ID, "deploy-progress").text,
          d.find_element(By.ID, "deploy-progress").text)
except Exception as e:
    d.save_screenshot(os.path.join(shots, "newcomer-failure.png"))
    check(f"the walk-through runs to its end ({type(e).__name__})", False, e)
finally:
    d.quit()
sys.exit(done())
