#!/usr/bin/python3
"""smoke.py (WIP for issue 12): the page in headless Chromium against a running berth-api.
usage: smoke.py URL READ_TOKEN SHOTS_DIR [WRITE_TOKEN]"""
import os
import sys

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

url, token, shots = sys.argv[1:4]
AXE = open(os.path.join(os.environ.get("AXE_DIR", "/usr/lib/node_modules/axe-core"), "axe.min.js")).read()
write_token = sys.argv[4] if len(sys.argv) > 4 else None
os.makedirs(shots, exist_ok=True)
o = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=375,800"):
    o.add_argument(a)
o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
d = webdriver.Chrome(options=o)
fails = 0


def axe(screen):
    """axe-core, run in the page (injected by the driver, which the page's CSP does not govern):
    no serious or critical violations."""
    d.execute_script(AXE)
    r = d.execute_async_script("const done = arguments[arguments.length - 1];"
                               "axe.run(document).then((r) => done(r.violations.map((v) => [v.id, v.impact, v.nodes.length])));")
    bad = [v for v in r if v[1] in ("serious", "critical")]
    check(f"axe-core: no serious or critical violations on the {screen} screen", not bad)
    for v in bad:
        print(f"#   {v}")


def check(what, ok):
    global fails
    print(("ok - " if ok else "not ok - ") + what)
    fails += not ok


try:
    w = WebDriverWait(d, 10)
    d.get(url)
    w.until(EC.presence_of_element_located((By.ID, "token")))
    d.save_screenshot(os.path.join(shots, "signin.png"))
    axe("sign-in")
    d.find_element(By.ID, "token").send_keys("wrong-token-wrong-token")
    d.find_element(By.CSS_SELECTOR, "#signin button").click()
    w.until(lambda _: d.find_element(By.ID, "signin-error").text)
    check("a wrong token is refused where the form is", "not valid" in d.find_element(By.ID, "signin-error").text)
    t = d.find_element(By.ID, "token")
    t.clear()
    t.send_keys(token)
    d.find_element(By.CSS_SELECTOR, "#signin button").click()
    w.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#stacks tbody tr")))
    d.save_screenshot(os.path.join(shots, "stacks.png"))
    axe("stacks")
    rows = [r.get_attribute("data-stack") for r in d.find_elements(By.CSS_SELECTOR, "#stacks tbody tr")]
    check("the stacks table lists the branch's stacks", rows == ["a"])
    check("the token is kept in sessionStorage", d.execute_script("return sessionStorage.getItem('berth.token')") == token)
    d.find_element(By.LINK_TEXT, "a").click()
    w.until(EC.presence_of_element_located((By.ID, "timeline")))
    d.save_screenshot(os.path.join(shots, "stack.png"))
    axe("stack")
    check("the stack's history is drawn as a timeline, one mark per change",
          len(d.find_elements(By.CSS_SELECTOR, "#timeline circle")) == len(d.find_elements(By.CSS_SELECTOR, "#history li")) == 1)
    check("its files are shown", [e.text for e in d.find_elements(By.CSS_SELECTOR, "#files summary")] == ["stacks/a/compose.yaml"])
    check("a read token gets no buttons that write", not d.find_elements(By.ID, "restart") and not d.find_elements(By.ID, "delete"))
    d.find_element(By.ID, "signout").click()
    w.until(EC.presence_of_element_located((By.ID, "token")))
    check("sign out forgets the token", d.execute_script("return sessionStorage.getItem('berth.token')") is None)
    if write_token:
        t = d.find_element(By.ID, "token")
        t.send_keys(write_token)
        d.find_element(By.CSS_SELECTOR, "#signin button").click()
        w.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#stacks tbody tr")))
        d.find_element(By.ID, "nav-new").click()
        w.until(EC.presence_of_element_located((By.ID, "stack-form")))
        d.find_element(By.ID, "name").send_keys("web1")
        d.find_element(By.CSS_SELECTOR, "button[name=preview]").click()
        w.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#preview pre")))
        d.save_screenshot(os.path.join(shots, "preview.png"))
        axe("new stack")
        check("the preview shows the rendered compose file", "services:" in d.find_element(By.CSS_SELECTOR, "#preview pre").text)
        d.find_element(By.ID, "create").click()
        w.until(EC.presence_of_element_located((By.ID, "committed")))
        check("create commits", d.find_element(By.ID, "committed").text.startswith("committed "))
    logs = [l["message"] for l in d.get_log("browser") if l["level"] == "SEVERE" and "401" not in l["message"]]
    check("no errors in the console (CSP violations among them)", not logs)
    for l in logs:
        print("# " + l)
except Exception:
    d.save_screenshot(os.path.join(shots, "failure.png"))
    raise
finally:
    d.quit()
sys.exit(1 if fails else 0)
