#!/usr/bin/python3
"""flow.py: the web page in headless Chromium (python3-selenium), against a real berth-api, a real git
origin and the rig's engine. What the page did is checked through independent clients: git on the
origin, the docker CLI on the engine, and the API itself with a read token.

usage: flow.py URL ORIGIN READ_TOKEN WRITE_TOKEN BERTH SHOTS_DIR
Prints TAP. The reconcile a pipeline would run is `BERTH reconcile` in a clone of ORIGIN."""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

url, origin, read_token, write_token, berth, shots = sys.argv[1:7]
AXE = open(os.path.join(os.environ.get("AXE_DIR", "/usr/lib/node_modules/axe-core"), "axe.min.js")).read()
os.makedirs(shots, exist_ok=True)
n = fails = 0


def check(what, ok, detail=""):
    global n, fails
    n += 1
    fails += not ok
    print(f"{'ok' if ok else 'not ok'} {n} - {what}")
    if not ok and detail:
        for line in str(detail).splitlines():
            print(f"#   {line}")
    sys.stdout.flush()


def git(*args):
    return subprocess.run(["git", "--git-dir", origin, *args], capture_output=True, text=True).stdout.strip()


def docker(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True).stdout.strip()


def api_json(method, path, token, body=None):
    req = urllib.request.Request(url.rstrip("/") + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, None


def api(method, path, token, body=None):
    return api_json(method, path, token, body)[0]


def reconcile():
    """The pipeline's job: berth reconcile in a fresh clone of the origin."""
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["git", "clone", "-q", "file://" + origin, d], check=True)
        return subprocess.run([berth, "reconcile"], cwd=d, capture_output=True, text=True)


o = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=375,900"):
    o.add_argument(a)
o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
d = webdriver.Chrome(options=o)
# Headless Chromium keeps a window at least 500 px wide whatever --window-size says: the viewport is
# set to a phone's 375 px through the DevTools protocol instead.
d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 375, "height": 900, "deviceScaleFactor": 1, "mobile": False})
# Screens re-render themselves (the list refreshes): an element found just before is stale when read.
w = WebDriverWait(d, 20, ignored_exceptions=(StaleElementReferenceException,))


def screen(name):
    d.save_screenshot(os.path.join(shots, f"{name}.png"))
    d.execute_script(AXE)
    r = d.execute_async_script("const done = arguments[arguments.length - 1];"
                               "axe.run(document).then((r) => done(r.violations.map((v) => [v.id, v.impact, v.nodes.length])));")
    bad = [v for v in r if v[1] in ("serious", "critical")]
    check(f"axe-core finds no serious or critical violation on the {name} screen", not bad, bad)
    wide = d.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    check(f"the {name} screen fits 375 px: nothing scrolls the page sideways", wide[0] <= wide[1], wide)


def wait_text(css, text, timeout=20):
    WebDriverWait(d, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda _: text in d.find_element(By.CSS_SELECTOR, css).text)


def goto(hash_):
    """A fresh load of a screen: the same hash twice would not re-render it."""
    d.get(url + hash_)
    d.refresh()


def tab_to(css, limit=80):
    """Tab (the keyboard alone) from wherever the focus is until css has it; False if it never does."""
    target = d.find_element(By.CSS_SELECTOR, css)
    for _ in range(limit):
        d.switch_to.active_element.send_keys(Keys.TAB)
        if d.switch_to.active_element == target:
            return True
    return False


def rows(css):
    return [e.get_attribute("data-stack") for e in d.find_elements(By.CSS_SELECTOR, css)]


def click(css):
    e = d.find_element(By.CSS_SELECTOR, css)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", e)
    e.click()


try:
    # ---- sign in by keyboard alone ----
    d.get(url)
    w.until(EC.presence_of_element_located((By.ID, "token")))
    check("signed out, neither the navigation nor Sign out is shown",
          not d.find_element(By.ID, "nav").is_displayed() and not d.find_element(By.ID, "signout").is_displayed())
    screen("signin")
    d.switch_to.active_element.send_keys(write_token, Keys.ENTER)
    w.until(EC.presence_of_element_located((By.ID, "stacks")))
    check("signing in by keyboard (the token field has focus, Enter submits) shows the stacks", d.find_element(By.ID, "nav").is_displayed())
    screen("stacks")

    # ---- a new stack from the worker definition ----
    goto("#/new")
    w.until(EC.presence_of_element_located((By.ID, "stack-form")))
    Select(d.find_element(By.ID, "definition")).select_by_value("worker")
    w.until(EC.presence_of_element_located((By.ID, "opt-image")))
    label = d.find_element(By.CSS_SELECTOR, "label[for=opt-stop_grace_period]").text
    check("an option's label is words, not its key", label.startswith("Stop grace period"), label)
    check("the definition's description is shown with the form",
          "healthy" in d.find_element(By.ID, "definition-about").text, d.find_element(By.ID, "definition-about").text)
    d.find_element(By.ID, "opt-image").send_keys("NOT A VALID IMAGE")
    msg = d.execute_script("return document.getElementById('opt-image').validationMessage")
    check("a value out of its form is explained in words, with no regular expression", "expected form" in msg and "^" not in msg and "[" not in msg, msg)
    d.find_element(By.ID, "opt-image").clear()
    d.find_element(By.ID, "name").send_keys("w1")
    d.find_element(By.ID, "opt-image").send_keys("berth-test/busybox:latest")
    d.find_element(By.ID, "opt-command").send_keys("sh -c 'echo worker started; exec sleep 3600'")
    d.find_element(By.ID, "opt-healthcheck").send_keys("true")
    grace = d.find_element(By.ID, "opt-stop_grace_period")
    grace.clear()
    grace.send_keys("1s")
    replicas = d.find_element(By.ID, "opt-replicas")
    replicas.clear()
    replicas.send_keys("99")
    head = git("rev-parse", "main")
    click("#create")
    time.sleep(0.5)
    check("a value over the schema's maximum is stopped in the page, at its field",
          d.execute_script("return arguments[0].validationMessage", replicas) != "" and git("rev-parse", "main") == head)
    # The server checks too: with the page's own checks off, its problem lands at the field it names.
    d.execute_script("document.getElementById('stack-form').noValidate = true")
    click("#create")
    wait_text("#opt-replicas-error", "20")
    check("the server's error is shown at the field its pointer names", True)
    check("and nothing was committed", git("rev-parse", "main") == head)
    d.execute_script("document.getElementById('stack-form').noValidate = false")
    replicas.clear()
    replicas.send_keys("1")
    click("button[name=preview]")
    w.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#preview pre")))
    check("the preview shows the rendered compose file", "berth-test/busybox:latest" in d.find_element(By.CSS_SELECTOR, "#preview").text)
    check("and the plan the engine would carry out: the worker created",
          d.find_elements(By.CSS_SELECTOR, "#plan tr[data-service=worker][data-action=create]") != [],
          d.find_element(By.CSS_SELECTOR, "#preview").text[:600])
    check("and commits nothing", git("rev-parse", "main") == head)
    screen("new-stack")
    click("#create")
    w.until(EC.presence_of_element_located((By.ID, "committed")))
    commit = d.find_element(By.ID, "committed").text.split()[-1]
    check("create commits to the origin, as the token's user", git("log", "-1", "--format=%H %an", "main") == f"{commit} writer",
          git("log", "-1", "--format=%H %an", "main"))
    check("the commit holds the stack's files", git("ls-tree", "-r", "--name-only", "main", "stacks/w1").split() ==
          ["stacks/w1/compose.yaml", "stacks/w1/stack.json"])

    # ---- the pipeline deploys it; the page follows ----
    r = reconcile()
    check("the pipeline's reconcile deploys it", r.returncode == 0, r.stdout[-1500:] + r.stderr[-800:])
    wait_text("#deploy-progress", "deployed", 30)
    check("the page, still on the new stack, says it is deployed and running", "1/1 running" in d.find_element(By.ID, "deploy-progress").text,
          d.find_element(By.ID, "deploy-progress").text)

    # ---- the stacks, filtered by name ----
    goto("#/")
    w.until(lambda _: len(rows("#stacks tr[data-stack]")) == 2)
    d.find_element(By.ID, "filter").send_keys("w1")
    check("the filter keeps the stacks whose name matches", rows("#stacks tr[data-stack]") == ["w1"], rows("#stacks tr[data-stack]"))
    d.find_element(By.ID, "filter").send_keys(Keys.BACKSPACE, Keys.BACKSPACE, "web")
    check("and another name, the other", rows("#stacks tr[data-stack]") == ["web0"], rows("#stacks tr[data-stack]"))
    # The list follows the engine by itself: a container stopped behind its back shows, with no reload.
    d.find_element(By.ID, "filter").clear()
    d.find_element(By.ID, "filter").send_keys("w1")
    d.execute_script("window.berthNoReload = true")
    docker("stop", "-t", "0", "w1-worker-1")
    running = "#stacks tr[data-stack=w1] td:nth-child(4)"
    WebDriverWait(d, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda _: d.find_element(By.CSS_SELECTOR, running).text == "0/1")
    check("the list refreshes by itself (no reload: the filter and the page's state kept)",
          d.execute_script("return window.berthNoReload === true") and rows("#stacks tr[data-stack]") == ["w1"])
    docker("start", "w1-worker-1")
    WebDriverWait(d, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda _: d.find_element(By.CSS_SELECTOR, running).text == "1/1")

    # ---- the stack's screen, reached and worked by keyboard alone: restart, logs ----
    goto("#/")
    w.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#stacks a[href='#/stacks/w1']")))
    check("Tab reaches the stack's link", tab_to("#stacks a[href='#/stacks/w1']"))
    d.switch_to.active_element.send_keys(Keys.ENTER)
    w.until(EC.presence_of_element_located((By.ID, "timeline")))
    wait_text("#logs", "worker started")
    check("Enter opens it; its logs show the container's output", True)
    check("its containers are listed with state and health",
          "running" in d.find_element(By.CSS_SELECTOR, "#containers tr[data-container=w1-worker-1]").text,
          d.find_element(By.ID, "containers").text)
    screen("stack")
    started = docker("inspect", "-f", "{{.State.StartedAt}}", "w1-worker-1")
    check("Tab reaches restart", tab_to("#restart"))
    d.switch_to.active_element.send_keys(Keys.ENTER)
    wait_text("#action-result", "restarted")
    check("Enter on restart restarts the container (its StartedAt changes, per the docker CLI)",
          docker("inspect", "-f", "{{.State.StartedAt}}", "w1-worker-1") not in ("", started))

    # ---- change an option ----
    goto("#/stacks/w1/edit")
    w.until(EC.presence_of_element_located((By.ID, "opt-concurrency")))
    c = d.find_element(By.ID, "opt-concurrency")
    check("the options form holds the stack's current options", c.get_attribute("value") == "4")
    # The preview's plan is reconcile's own: options as deployed plan no change at all.
    opts = json.loads(git("show", "main:stacks/w1/stack.json"))["options"]
    status, reply = api_json("PUT", "/stacks/w1?dry_run=true", write_token, {"options": opts})
    check("a preview of the options as deployed plans nothing (the same content hash as reconcile's)",
          status == 200 and reply["plan"].get("changes") == 0 and
          [a["action"] for a in reply["plan"]["actions"]] == ["noop"], reply)
    c.clear()
    c.send_keys("8")
    head = git("rev-parse", "main")
    click("button[name=preview]")
    w.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#plan")))
    check("previewing a change of options shows the worker to be recreated, and why",
          "CONCURRENCY: 8" in d.find_element(By.ID, "preview").text and
          d.find_elements(By.CSS_SELECTOR, "#plan tr[data-service=worker][data-action=recreate]") != [],
          d.find_element(By.ID, "preview").text[:600])
    check("and commits nothing", git("rev-parse", "main") == head)
    screen("change-options")
    click("#create")
    w.until(EC.presence_of_element_located((By.ID, "committed")))
    check("saving commits the new option", "CONCURRENCY: 8" in git("show", "main:stacks/w1/compose.yaml"))

    # ---- disable, revert, delete ----
    goto("#/stacks/w1")
    w.until(EC.presence_of_element_located((By.ID, "toggle")))
    click("#toggle")
    wait_text("#action-result", "committed")
    check("disable commits enabled: false", json.loads(git("show", "main:stacks/w1/stack.json")).get("enabled") is False)
    goto("#/stacks/w1")
    w.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"#history li[data-commit='{commit}'] button")))
    check("the timeline marks the deployed change", len(d.find_elements(By.CSS_SELECTOR, "#timeline circle")) >= 3)
    check("the current change offers no revert to itself",
          not d.find_elements(By.CSS_SELECTOR, "#history li:first-child button") and "(current)" in d.find_element(By.CSS_SELECTOR, "#history li:first-child").text)
    marked = [li.get_attribute("data-commit") for li in d.find_elements(By.CSS_SELECTOR, "#history li") if "(deployed)" in li.text]
    check("the screen shows one deployed id: the header's is the history's",
          len(marked) == 1 and d.find_element(By.ID, "deployed").text == marked[0][:12], (marked, d.find_element(By.ID, "deployed").text))
    clipped = d.execute_script("""const s = document.getElementById('timeline').getBoundingClientRect();
        return [...document.querySelectorAll('#timeline text')].filter((t) => { const r = t.getBoundingClientRect();
          return r.left < s.left || r.right > s.right || r.top < s.top || r.bottom > s.bottom; }).length;""")
    check("no label of the timeline is cut at its edges", clipped == 0, clipped)
    touching = d.execute_script("""const kids = [...document.querySelectorAll('.actions > *')].map((e) => e.getBoundingClientRect());
        let n = 0;
        for (let i = 0; i < kids.length; i++) for (let j = i + 1; j < kids.length; j++) {
          const a = kids[i], b = kids[j];
          const apart = a.right + 4 <= b.left || b.right + 4 <= a.left || a.bottom + 4 <= b.top || b.bottom + 4 <= a.top;
          if (!apart) n++;
        }
        return [n, kids.length];""")
    check("the action buttons keep at least 4 px apart at 375 px", touching[0] == 0 and touching[1] >= 4, touching)
    click(f"#history li[data-commit='{commit}'] button")
    wait_text("#action-result", "committed")
    check("revert to the first change brings its files back", "CONCURRENCY: 4" in git("show", "main:stacks/w1/compose.yaml"))
    goto("#/stacks/w1")
    w.until(EC.presence_of_element_located((By.ID, "delete")))
    click("#delete")
    d.switch_to.alert.send_keys("wrong")
    d.switch_to.alert.accept()
    wait_text("#action-result", "not deleted")
    check("delete asks for the name, and a wrong one deletes nothing", git("ls-tree", "--name-only", "main", "stacks/w1/") != "")
    click("#delete")
    d.switch_to.alert.send_keys("w1")
    d.switch_to.alert.accept()
    WebDriverWait(d, 20).until(lambda _: git("ls-tree", "--name-only", "main", "stacks/w1/") == "")
    check("typing the name deletes the stack from git", True)

    # ---- a write-only option: a password field, committed encrypted, kept when left empty ----
    with tempfile.TemporaryDirectory() as t:
        key = subprocess.run(["age-keygen"], capture_output=True, text=True, check=True).stdout
        recipient = [l.split(": ")[1] for l in key.splitlines() if l.startswith("# public key: ")][0]
        subprocess.run(["git", "clone", "-q", "file://" + origin, t], check=True)
        open(f"{t}/.sops.yaml", "w").write(f"creation_rules:\n  - path_regex: ^stacks/.*/\\.env$\n    age: {recipient}\n")
        subprocess.run("git add -A && git -c user.name=t -c user.email=t@e commit -qm sops && git push -q origin main",
                       shell=True, cwd=t, check=True, capture_output=True)
    password = "page-typed-secret-" + str(os.getpid())
    goto("#/new")
    w.until(EC.presence_of_element_located((By.ID, "stack-form")))
    Select(d.find_element(By.ID, "definition")).select_by_value("webapp-db")
    w.until(EC.presence_of_element_located((By.ID, "opt-db_password")))
    pw = d.find_element(By.ID, "opt-db_password")
    check("a write-only option is a password field the browser does not fill from its memory",
          pw.get_attribute("type") == "password" and pw.get_attribute("autocomplete") == "new-password" and
          pw.get_attribute("required") is not None, (pw.get_attribute("type"), pw.get_attribute("autocomplete")))
    d.find_element(By.ID, "name").send_keys("s1")
    d.find_element(By.ID, "opt-image").send_keys("berth-test/busybox:latest")
    pw.send_keys(password)
    click("button[name=preview]")
    w.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#preview pre")))
    check("its preview shows the .env as git will hold it, encrypted, never the password",
          "db_password=ENC[AES256_GCM" in d.find_element(By.ID, "preview").text and password not in d.page_source,
          d.find_element(By.ID, "preview").text[-600:])
    click("#create")
    w.until(EC.presence_of_element_located((By.ID, "committed")))
    env = git("show", "main:stacks/s1/.env")
    check("create commits the password encrypted into the stack's .env", env.startswith("db_password=ENC[AES256_GCM") and "sops_age__list_0__map_recipient=" + recipient in env, env[:300])
    check("and the password is nowhere in git's history", password not in git("log", "-p", "--all"))
    goto("#/stacks/s1/edit")
    w.until(EC.presence_of_element_located((By.ID, "opt-db_password")))
    pw = d.find_element(By.ID, "opt-db_password")
    check("changing the stack, its stored password is neither shown nor required again",
          pw.get_attribute("value") == "" and pw.get_attribute("required") is None and "leave empty" in pw.get_attribute("placeholder"),
          (pw.get_attribute("value"), pw.get_attribute("required"), pw.get_attribute("placeholder")))
    screen("write-only")
    before = git("rev-parse", "main:stacks/s1/.env")
    port = d.find_element(By.ID, "opt-port")
    port.clear()
    port.send_keys("18081")
    click("#create")
    w.until(EC.presence_of_element_located((By.ID, "committed")))
    check("saving with the password left empty keeps the encrypted .env as it was",
          "18081" in git("show", "main:stacks/s1/compose.yaml") and git("rev-parse", "main:stacks/s1/.env") == before)
    check("and the stack's delete takes the .env with it", api("DELETE", "/stacks/s1", write_token) == 200 and
          git("ls-tree", "--name-only", "main", "stacks/s1/") == "")

    # ---- a scale-down: no container is made, and the list must not call that drift ----
    opts = {"image": "berth-test/busybox:latest", "command": "sleep 3600", "healthcheck": "true", "replicas": 2}
    made = api("POST", "/stacks", write_token, {"name": "w2", "definition": "worker", "options": opts})
    r1 = reconcile()
    put = api("PUT", "/stacks/w2", write_token, {"options": dict(opts, replicas=1)})
    r2 = reconcile()
    ps = docker("ps", "-q", "--filter", "label=com.docker.compose.project=w2").split()
    check("a stack of two workers scaled down to one: docker runs one", (made, put, r1.returncode, r2.returncode, len(ps)) ==
          (201, 200, 0, 0, 1), (made, put, r1.stdout[-800:], r2.stdout[-800:], ps))
    goto("#/")
    cells = "#stacks tr[data-stack=w2] td"
    WebDriverWait(d, 30, ignored_exceptions=(StaleElementReferenceException, IndexError)).until(
        lambda _: d.find_elements(By.CSS_SELECTOR, cells)[3].text == "1/1")
    texts = [c.text for c in d.find_elements(By.CSS_SELECTOR, cells)]
    check("the list shows it 1/1 running, at the new commit, with no drift",
          texts[3] == "1/1" and texts[5] == "none" and git("rev-parse", "main").startswith(texts[2]), texts)
    api("DELETE", "/stacks/w2", write_token)
    reconcile()

    # ---- a read token ----
    click("#signout")
    w.until(EC.presence_of_element_located((By.ID, "token")))
    check("after Sign out, the navigation is hidden again", not d.find_element(By.ID, "nav").is_displayed())
    d.switch_to.active_element.send_keys(read_token, Keys.ENTER)
    w.until(EC.presence_of_element_located((By.ID, "stacks")))
    check("a read token is not offered New stack", not d.find_element(By.ID, "nav-new").is_displayed())
    goto("#/new")
    w.until(EC.presence_of_element_located((By.ID, "read-only")))
    check("and the new-stack screen says why, with no form", not d.find_elements(By.ID, "stack-form"))
    goto("#/stacks/web0")
    w.until(EC.presence_of_element_located((By.ID, "timeline")))
    check("a read token sees the stack but no button that writes",
          not d.find_elements(By.CSS_SELECTOR, "#restart, #delete, #toggle, #edit, #history button"))
    wait_text("#logs", "side-line")
    Select(d.find_element(By.ID, "log-service")).select_by_value("side")
    WebDriverWait(d, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda _: "app-line" not in d.find_element(By.ID, "logs").text)
    check("the logs' service filter shows that service's lines alone",
          "side-line" in d.find_element(By.ID, "logs").text, d.find_element(By.ID, "logs").text)
    health = d.find_element(By.CSS_SELECTOR, "#containers tr[data-container=web0-app-1] td:last-child").text
    check("a container's health is shown as docker inspect has it",
          health == docker("inspect", "-f", "{{.State.Health.Status}}", "web0-app-1") == "healthy", health)
    check("and the API refuses its writes anyway", api("POST", "/stacks/web0/restart", read_token) == 403 and
          api("DELETE", "/stacks/web0", read_token) == 403)
    # A stack that does not load, and one never deployed: each row says why it has no numbers.
    with tempfile.TemporaryDirectory() as t:
        subprocess.run(["git", "clone", "-q", "file://" + origin, t], check=True)
        os.makedirs(f"{t}/stacks/bad0")
        os.makedirs(f"{t}/stacks/new0")
        open(f"{t}/stacks/bad0/compose.yaml", "w").write("services:\n  x:\n    image: berth-test/busybox:latest\n    portz: [80]\n")
        open(f"{t}/stacks/new0/compose.yaml", "w").write("services:\n  x:\n    image: berth-test/busybox:latest\n")
        subprocess.run("git add -A && git -c user.name=t -c user.email=t@e commit -qm hand && git push -q origin main",
                       shell=True, cwd=t, check=True, capture_output=True)
    goto("#/")
    w.until(lambda _: len(rows("#stacks tr[data-stack]")) >= 3)
    bad = d.find_element(By.CSS_SELECTOR, "#stacks tr[data-stack=bad0] td:last-child")
    check("an invalid stack's row says it is invalid, and where", "invalid: stacks/bad0/compose.yaml:4:5" in bad.text, bad.text)
    check("in the colour of an error", "bad" in bad.get_attribute("class"))
    new0 = d.find_element(By.CSS_SELECTOR, "#stacks tr[data-stack=new0] td:last-child").text
    check("a stack never deployed says so", new0 == "not deployed yet", new0)
    screen("stacks-states")
    goto("#/images")
    w.until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
    screen("images")
    errors = [l["message"] for l in d.get_log("browser") if l["level"] == "SEVERE" and " 4" not in l["message"]]
    check("no script errors or policy violations in the console", not errors, "\n".join(errors))
except Exception as e:
    d.save_screenshot(os.path.join(shots, "failure.png"))
    check(f"the flow runs to its end ({type(e).__name__})", False, e)
finally:
    d.quit()
print(f"1..{n}")
sys.exit(1 if fails else 0)
