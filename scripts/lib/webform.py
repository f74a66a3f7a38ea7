#!/usr/bin/python3
"""Drives the real web form in headless Chromium (Selenium + Debian's chromium-driver) against a
live intake over TLS. Used by the Swift test suite (IntakeTests/WebFormTests) and scripts/bench.

    webform.py vectors BASE IN.json OUT.json   BLAKE2b, sealing and proof of work in the browser,
                                               checked against libsodium (Swift, in IN.json) and
                                               python3-nacl (here); writes a browser-sealed box for
                                               Swift to open
    webform.py submit BASE PHOTO OUT.json      fills the Spanish form with JavaScript, attaches
                                               PHOTO, sends; writes the receipt and what was typed
    webform.py nojs BASE OUT.json              the same with JavaScript disabled (no attachment)
    webform.py networks BASE COUNTRY js|nojs DESCRIPTION OUT.json [SHOT.png]
                                               a several-network intake: the country's network
    webform.py tampered BASE CERT KEY          through a proxy that breaks the manifest signature:
                                               the page must refuse, in Spanish, and send nothing
    webform.py offline BASE PID DIR            opens the page, then SIGKILLs the intake (PID): the
                                               report is sealed anyway and saved into DIR
    webform.py codename BASE OUT.json          sends a report with a codename made by the page
    webform.py fileform FORM DIR OUT.json      the offline form from a file:// URL: a receipt over
                                               CORS, or (intake unreachable) the sealed file in DIR
    webform.py read-replies BASE CODENAME      "Consultar respuestas": prints what the page shows
    webform.py screenshots BASE DIR            phone-width screenshots, es and en; label check
    webform.py bench BASE RUNS                 time from pressing "Enviar" to the receipt
    webform.py phone BASE RUNS PROFILE         first visits on a throttled phone (desktop, slow, good-3g): form usable, Enviar → receipt
    webform.py hash-rates BASE                 BLAKE2b per second in the page: JavaScript and WebAssembly, plain and 6× throttled
    webform.py voice BASE OUT.json [SHOT.png]  records a voice note with Chromium's fake microphone,
                                               listens (the preview has it), attaches, sends
    webform.py voice-denied BASE [SHOT.png]    the microphone refused: the page says so and offers
                                               a file picker for an audio file
    webform.py photo OUT.jpg                   a JPEG with GPS EXIF
    webform.py gps FILE                        prints {"exif": bool, "gps": {...}} for a JPEG

Exit status 0 when every check passed; 1 with a message on stderr otherwise.
"""
import base64
import http.client
import io
import json
import os
import random
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import nacl.encoding
import nacl.hash
import nacl.public

# What the form is filled with: every question of Report v1 the page asks. The Swift test checks
# each of these arrived intact after the offline unseal.
FILLED = {
    "country": "HN",
    "region": "HN-AT",
    "locality": "Aldea Nueva Esperanza, Tela",
    "setting": "rural",
    "incident_year": "2026",
    "incident_month": "10",
    "incident_day": "03",
    "description": "Me siguieron desde la reunión comunitaria hasta mi casa.\nDijeron: «sabemos dónde vives» — ñandú, acción, 😡.",
    "aggression_types": ["threat", "surveillance"],
    "perpetrators": ["private_security", "extractive_company"],
    "rights_defended": ["land_territory", "indigenous_afro"],
    "target_scope": "personal",
    "people_affected": "3",
    "affects_relatives": "yes",
    "gender_component": "yes",
    "gender_component_types": ["sexist_language"],
    "defender_name": "María José Ávila Cáceres",
    "defender_organisation": "Consejo Cívico de Tela",
    "defender_contact": "Signal +504 9988-7766",
    "defender_national_id": "0801-1985-04567",
    "defender_birth_year": "1985",
    "defender_gender_identity": "woman",
    "defender_ethnicity": "indigenous",
    "needs": ["legal", "relocation"],
    "urgent": True,
    "consent_registry": True,
    "consent_contact": True,
}


def fail(message):
    print("webform: " + message, file=sys.stderr)
    sys.exit(1)


def browser(javascript=True, width=412, height=915, ratio=1, extra=(), prefs_extra=None):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--no-first-run", "--disable-extensions", "--disable-background-networking", *extra):
        options.add_argument(flag)
    # The intake's --dev certificate is self-signed; TLS itself is real.
    options.set_capability("acceptInsecureCerts", True)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    prefs = {"download.default_directory": os.environ.get("WEBFORM_DOWNLOADS", "/tmp"),
             "download.prompt_for_download": False}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    prefs.update(prefs_extra or {})
    options.add_experimental_option("prefs", prefs)
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": ratio}})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    return driver


def console_problems(driver):
    """CSP violations, script errors or failed integrity checks in the console."""
    bad = []
    for entry in driver.get_log("browser"):
        text = entry.get("message", "")
        if entry.get("level") == "SEVERE" or "Content Security Policy" in text or "integrity" in text:
            bad.append(text)
    return bad


def send_and_wait(driver):
    """Presses "Enviar", waits for the receipt, fails on any console problem; returns the receipt."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "send").click()
    receipt = wait_for(driver, lambda: driver.execute_script(
        "return document.getElementById('receipt').hidden ? null : document.getElementById('receipt-code').textContent"), what="the receipt")
    problems = console_problems(driver)
    if problems:
        fail("console: " + " | ".join(problems))
    return receipt


def wait_for(driver, condition, seconds=60, what="condition"):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    fail("timed out waiting for " + what + "; status: " + driver.execute_script(
        "var s=document.getElementById('status'); return s ? s.textContent : document.title"))


def filled(javascript):
    """chromedriver cannot type characters outside the BMP, and with JavaScript off nothing can
    set them as a paste would: the no-JavaScript run types the description without its emoji."""
    values = dict(FILLED)
    if not javascript:
        values["description"] = "".join(c for c in values["description"] if ord(c) <= 0xFFFF)
    return values


def fill(driver, javascript):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    FILLED = filled(javascript)

    def select(name, value):
        Select(driver.find_element(By.NAME, name)).select_by_value(value)

    def tick(name, value):
        box = driver.find_element(By.CSS_SELECTOR, "input[name='%s'][value='%s']" % (name, value))
        if javascript:
            # Click the label, as a person does; the box itself is small.
            driver.find_element(By.CSS_SELECTOR, "label[for='%s']" % box.get_attribute("id")).click()
        else:
            # With JavaScript off chromedriver's click never returns; the keyboard works (and is
            # how many people use a form).
            box.send_keys(Keys.SPACE)
        if not box.is_selected():
            fail("could not tick %s=%s" % (name, value))

    def type_in(name, text):
        element = driver.find_element(By.NAME, name)
        element.clear()
        if javascript and any(ord(c) > 0xFFFF for c in text):
            driver.execute_script("arguments[0].value = arguments[1]", element, text)
        else:
            element.send_keys(text)

    select("country", FILLED["country"])
    select("region", FILLED["region"])
    type_in("locality", FILLED["locality"])
    tick("setting", FILLED["setting"])
    select("incident_year", FILLED["incident_year"])
    select("incident_month", FILLED["incident_month"])
    select("incident_day", FILLED["incident_day"])
    type_in("description", FILLED["description"])
    for name in ("aggression_types", "perpetrators", "rights_defended", "gender_component_types", "needs"):
        for code in FILLED[name]:
            tick(name, code)
    tick("target_scope", FILLED["target_scope"])
    type_in("people_affected", FILLED["people_affected"])
    tick("affects_relatives", FILLED["affects_relatives"])
    tick("gender_component", FILLED["gender_component"])
    for name in ("defender_name", "defender_organisation", "defender_contact", "defender_national_id", "defender_birth_year"):
        type_in(name, FILLED[name])
    select("defender_gender_identity", FILLED["defender_gender_identity"])
    select("defender_ethnicity", FILLED["defender_ethnicity"])
    for name in ("urgent", "consent_registry", "consent_contact"):
        tick(name, "on")


def submit(base, photo, out):
    from selenium.webdriver.common.by import By

    driver = browser()
    try:
        driver.get(base + "/?lang=es")
        wait_for(driver, lambda: driver.execute_script("return !document.getElementById('mode-js').hidden"), what="the page's script")
        fill(driver, True)
        # A document whose name carries a person's name: it must arrive under a neutral name.
        document = os.path.join(os.path.dirname(os.path.abspath(photo)), "Informe de María Tzul.pdf")
        with open(document, "wb") as f:
            f.write(b"%PDF-1.4\n1 0 obj << /Author (Maria Tzul) >> endobj\n%%EOF\n")
        driver.find_element(By.ID, "attachments").send_keys(photo + "\n" + document)
        listed = driver.find_element(By.ID, "attachment-list").text
        if "se limpiará" not in listed:
            fail("the photo is not listed as to be cleaned: " + listed)
        started = time.time()
        driver.find_element(By.ID, "send").click()
        receipt = wait_for(driver, lambda: driver.execute_script(
            "return document.getElementById('receipt').hidden ? null : document.getElementById('receipt-code').textContent"),
            what="the receipt")
        elapsed = time.time() - started
        left = driver.execute_script("""
            return Array.from(document.querySelectorAll('#report input, #report textarea, #report select'))
              .filter(e => e.type !== 'hidden' && ((e.type === 'checkbox' || e.type === 'radio') ? (e.checked && e.value !== '') : e.value !== ''))
              .map(e => e.name);""")
        if left:
            fail("fields still filled after sending: " + ", ".join(left))
        storage = driver.execute_script("return [localStorage.length, sessionStorage.length, document.cookie]")
        if storage != [0, 0, ""]:
            fail("something was stored in the browser: %r" % storage)
        problems = console_problems(driver)
        if problems:
            fail("console: " + " | ".join(problems))
        json.dump({"receipt": receipt, "filled": filled(True), "seconds": elapsed}, open(out, "w"))
    finally:
        driver.quit()


def nojs(base, out):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser(javascript=False)
    try:
        driver.get(base + "/?lang=es")
        if driver.find_element(By.ID, "mode-nojs").is_displayed() is not True:
            fail("the no-JavaScript notice is not shown with JavaScript off")
        if driver.find_element(By.ID, "attachments-section").is_displayed():
            fail("the attachment section is shown although nothing can seal files without JavaScript")
        fill(driver, False)
        driver.find_element(By.ID, "send").send_keys(Keys.ENTER)
        wait_for(driver, lambda: "recibida" in driver.title, what="the receipt page")
        receipt = driver.find_element(By.CSS_SELECTOR, ".receipt code").text
        notice = driver.find_element(By.CSS_SELECTOR, ".notice").text
        if "sin JavaScript" not in notice:
            fail("the receipt page does not say which mode protected the report: " + notice)
        json.dump({"receipt": receipt, "filled": filled(False)}, open(out, "w"))
    finally:
        driver.quit()


def networks(base, country, mode, description, out, shot=None):
    """Several networks: choose the country, see its network's name and fingerprint (with
    JavaScript), send a short report; the receipt and what the page showed go to OUT."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    javascript = mode == "js"
    driver = browser(javascript=javascript)
    try:
        driver.get(base + "/?lang=es")
        offered = [o.get_attribute("value") for o in Select(driver.find_element(By.NAME, "country")).options if o.get_attribute("value")]
        shown = {}
        if javascript:
            wait_for(driver, lambda: driver.execute_script("return !document.getElementById('mode-js').hidden"), what="the page's script")
            Select(driver.find_element(By.NAME, "country")).select_by_value(country)
            wait_for(driver, lambda: driver.execute_script("return document.getElementById('network-chosen').hidden ? null : 1"), what="the chosen network")
            wait_for(driver, lambda: driver.execute_script("return document.getElementById('report').dataset.keys === 'checked' ? 1 : null"), what="the network's keys")
            shown = {"name": driver.find_element(By.ID, "network-name").text, "fingerprint": driver.find_element(By.ID, "fingerprint").text}
            if shot:
                driver.save_screenshot(shot)
            driver.find_element(By.NAME, "description").send_keys(description)
            receipt = send_and_wait(driver)
        else:
            shown = {"listed": [li.text for li in driver.find_elements(By.CSS_SELECTOR, "ul.networks li")]}
            Select(driver.find_element(By.NAME, "country")).select_by_value(country)
            driver.find_element(By.NAME, "description").send_keys(description)
            driver.find_element(By.ID, "send").send_keys(Keys.ENTER)
            wait_for(driver, lambda: "recibida" in driver.title, what="the receipt page")
            receipt = driver.find_element(By.CSS_SELECTOR, ".receipt code").text
        json.dump({"receipt": receipt, "shown": shown, "offered": offered}, open(out, "w"))
    finally:
        driver.quit()


class TamperingProxy(BaseHTTPRequestHandler):
    """A compromised server in miniature: forwards to the real intake but breaks one bit of the
    manifest signature, and remembers whether anything was posted."""
    upstream = None
    posted = []

    def log_message(self, *args):
        pass

    def forward(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if method == "POST":
            TamperingProxy.posted.append(self.path)
        context = ssl._create_unverified_context()
        connection = http.client.HTTPSConnection(self.upstream.hostname, self.upstream.port, context=context, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "accept-encoding")}
        connection.request(method, self.path, body=body, headers=headers)
        reply = connection.getresponse()
        data = reply.read()
        if self.path.startswith("/v1/keys"):
            manifest = json.loads(data)
            signature = bytearray(base64.b64decode(manifest["signature"]))
            signature[0] ^= 1
            manifest["signature"] = base64.b64encode(bytes(signature)).decode()
            data = json.dumps(manifest).encode()
        self.send_response(reply.status)
        for k, v in reply.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.forward("GET")

    def do_POST(self):
        self.forward("POST")


def tampered(base, certificate, key):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    TamperingProxy.upstream = urlparse(base)
    server = ThreadingHTTPServer(("127.0.0.1", 0), TamperingProxy)
    # The proxy speaks TLS too, so the page keeps its secure context (crypto.getRandomValues).
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = browser()
    try:
        driver.get("https://127.0.0.1:%d/?lang=es" % server.server_address[1])
        wait_for(driver, lambda: driver.execute_script("return !document.getElementById('mode-js').hidden"), what="the page's script")
        Select(driver.find_element(By.NAME, "country")).select_by_value("MX")
        driver.find_element(By.NAME, "description").send_keys("Me amenazaron.")
        driver.find_element(By.ID, "send").click()
        text = wait_for(driver, lambda: driver.execute_script(
            "var s=document.getElementById('status'); return s.classList.contains('error') ? s.textContent : null"), what="an error")
        if "firma de las llaves de la red NO es válida" not in text or "No se envió nada" not in text:
            fail("unexpected message: " + text)
        if TamperingProxy.posted:
            fail("something was posted despite the bad signature: %r" % TamperingProxy.posted)
        if driver.find_element(By.NAME, "description").get_attribute("value") != "Me amenazaron.":
            fail("the defender's text was lost")
        print(text)
    finally:
        driver.quit()
        server.shutdown()


def offline(base, pid, folder):
    import signal
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser()
    try:
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": folder})
        driver.get(base + "/?lang=es")
        wait_for(driver, lambda: driver.execute_script("return document.getElementById('report').dataset.keys === 'checked'"), what="the keys")
        os.kill(int(pid), signal.SIGKILL)
        Select(driver.find_element(By.NAME, "country")).select_by_value("SV")
        driver.find_element(By.NAME, "description").send_keys("Sellada sin conexión.")
        driver.find_element(By.ID, "send").click()
        wait_for(driver, lambda: driver.find_element(By.ID, "offline").is_displayed(), what="the offline panel")
        driver.find_element(By.ID, "save").click()
        saved = wait_for(driver, lambda: [f for f in os.listdir(folder) if f.endswith(".rsg1")], what="the saved envelope")
        print(os.path.join(folder, saved[0]))
    finally:
        driver.quit()


def fileform(form, folder, out):
    """The offline form, opened from a file:// URL as a phone opens a file it was given: with the
    intake reachable it seals, makes a codename and gets a receipt over CORS; with the intake
    unreachable (a form made for an address where nothing listens) it seals with the manifest it
    carries and saves the sealed file."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser()
    try:
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": folder})
        driver.get("file://" + os.path.abspath(form))
        wait_for(driver, lambda: driver.execute_script("return !document.getElementById('mode-js').hidden"), what="the form's own script")
        if driver.find_elements(By.CSS_SELECTOR, "script[src], link[href]"):
            fail("the offline form loads something from outside")
        Select(driver.find_element(By.NAME, "country")).select_by_value("GT")
        driver.find_element(By.NAME, "description").send_keys("Denuncia desde el formulario sin conexión.")
        driver.find_element(By.CSS_SELECTOR, "label[for='want_codename']").click()
        words = wait_for(driver, lambda: driver.find_element(By.ID, "codename-words").text, what="the codename (inline word list)")
        if len(words.split()) != 7:
            fail("the offline form's codename is not 7 words: " + words)
        driver.find_element(By.ID, "send").click()
        outcome = wait_for(driver, lambda: driver.execute_script(
            "if (!document.getElementById('receipt').hidden) return 'receipt:' + document.getElementById('receipt-code').textContent;"
            "if (!document.getElementById('offline').hidden) return 'offline';"
            "var s = document.getElementById('status'); return s && s.classList.contains('error') && !/red|network/i.test(s.textContent) ? 'error:' + s.textContent : null;"),
            what="a receipt or the offline panel")
        result = {"outcome": outcome.split(":")[0]}
        if outcome.startswith("receipt:"):
            result["receipt"] = outcome[len("receipt:"):]
        elif outcome == "offline":
            driver.find_element(By.ID, "save").click()
            saved = wait_for(driver, lambda: [f for f in os.listdir(folder) if f.endswith(".rsg1")], what="the saved envelope")
            result["saved"] = os.path.join(folder, saved[0])
        else:
            fail("the offline form stopped: " + outcome)
        # An unreachable intake is the point of the second run: its network errors are expected.
        problems = [p for p in console_problems(driver) if "Failed to load resource: net::" not in p and "Failed to fetch" not in p]
        if problems:
            fail("console: " + " | ".join(problems))
        json.dump(result, open(out, "w"))
    finally:
        driver.quit()


def codename(base, out):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser()
    try:
        driver.get(base + "/?lang=es")
        wait_for(driver, lambda: driver.execute_script("return document.getElementById('report').dataset.keys === 'checked'"), what="the keys")
        Select(driver.find_element(By.NAME, "country")).select_by_value("MX")
        driver.find_element(By.NAME, "description").send_keys("Denuncia con nombre clave desde el navegador.")
        driver.find_element(By.CSS_SELECTOR, "label[for='want_codename']").click()
        words = wait_for(driver, lambda: driver.find_element(By.ID, "codename-words").text, what="the codename")
        if len(words.split()) != 7:
            fail("the page's codename is not 7 words: " + words)
        driver.find_element(By.ID, "send").click()
        receipt = wait_for(driver, lambda: driver.execute_script(
            "return document.getElementById('receipt').hidden ? null : document.getElementById('receipt-code').textContent"), what="the receipt")
        if driver.find_element(By.ID, "codename-words").text:
            fail("the codename is still on the page after sending")
        json.dump({"codename": words, "receipt": receipt}, open(out, "w"))
    finally:
        driver.quit()


def read_replies(base, typed):
    from selenium.webdriver.common.by import By

    driver = browser()
    try:
        driver.get(base + "/?lang=es")
        wait_for(driver, lambda: not driver.find_element(By.ID, "replies-section").get_attribute("hidden"), what="the replies section")
        driver.find_element(By.ID, "replies_codename").send_keys(typed)
        driver.find_element(By.ID, "replies_check").click()
        wait_for(driver, lambda: driver.find_element(By.ID, "replies-status").text, what="the replies")
        print(driver.find_element(By.ID, "replies-status").text)
        print(driver.find_element(By.ID, "replies-list").text)
        problems = console_problems(driver)
        if problems:
            fail("console: " + " | ".join(problems))
    finally:
        driver.quit()


def vectors(base, infile, outfile):
    given = json.load(open(infile))
    rng = random.Random(7693)
    cases = list(given["blake2b"])
    for n in range(40):
        message = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 1, 63, 64, 127, 128, 129, 255, 256, 1000, rng.randrange(0, 3000)])))
        size = rng.choice([16, 24, 32, 48, 64])
        key = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 0, 16, 32, 64])))
        digest = nacl.hash.blake2b(message, digest_size=size, key=key, encoder=nacl.encoding.RawEncoder)
        cases.append({"source": "python3-nacl", "message": message.hex(), "key": key.hex(), "size": size, "digest": digest.hex()})
    driver = browser()
    try:
        driver.get(base + "/")
        wait_for(driver, lambda: driver.execute_script("return !!window.ResguardoSealing"), what="the scripts")
        results = driver.execute_script("""
            const S = window.ResguardoSealing;
            const bytes = h => new Uint8Array((h.match(/../g) || []).map(x => parseInt(x, 16)));
            return arguments[0].map(c => S.hex(S.blake2b(bytes(c.message), c.size, c.key ? bytes(c.key) : undefined)));
        """, cases)
        wrong = [c for c, r in zip(cases, results) if r != c["digest"]]
        if wrong:
            fail("%d BLAKE2b digests differ, first: %r" % (len(wrong), wrong[0]))
        # Codenames: normalisation, reply key and mailbox as python3-nacl derived them.
        derived = driver.execute_script("""
            const S = window.ResguardoSealing;
            return arguments[0].map(c => { const n = S.normaliseCodename(c.typed); const k = S.codenameKeys(n);
                                           return [n, S.hex(k.publicKey), k.mailbox]; });
        """, given.get("codenames", []))
        for c, (n, pk_hex, mailbox) in zip(given.get("codenames", []), derived):
            if (n, pk_hex, mailbox) != (c["normalised"], c["public_key"], c["mailbox"]):
                fail("codename derivation differs for %r: %r" % (c["typed"], (n, pk_hex, mailbox)))
        # Sealing: the browser seals to a key made here; PyNaCl opens.
        recipient = nacl.public.PrivateKey.generate()
        pk = bytes(recipient.public_key)
        messages = [bytes(rng.getrandbits(8) for _ in range(n)) for n in (0, 1, 100, 4095, 5000)]
        sealed = driver.execute_script("""
            const S = window.ResguardoSealing;
            const bytes = h => new Uint8Array((h.match(/../g) || []).map(x => parseInt(x, 16)));
            const pk = bytes(arguments[0]);
            return arguments[1].map(m => S.hex(S.sealedBox(bytes(m), pk)));
        """, pk.hex(), [m.hex() for m in messages])
        box = nacl.public.SealedBox(recipient)
        for m, s in zip(messages, sealed):
            if box.decrypt(bytes.fromhex(s)) != m:
                fail("PyNaCl opened a browser-sealed box to the wrong message")
        envelope = driver.execute_script("""
            const S = window.ResguardoSealing;
            const bytes = h => new Uint8Array((h.match(/../g) || []).map(x => parseInt(x, 16)));
            const pk = bytes(arguments[0]);
            return S.hex(S.envelope(new TextEncoder().encode(arguments[1]), {id: S.keyId(pk), publicKey: pk}, true));
        """, pk.hex(), given["report"])
        env = bytes.fromhex(envelope)
        if env[:5] != b"RSG1\x01" or env[5:13] != nacl.hash.blake2b(pk, digest_size=32, encoder=nacl.encoding.RawEncoder)[:8]:
            fail("browser envelope header is wrong: " + env[:13].hex())
        padded = box.decrypt(env[13:])
        if len(padded) != 4096 or padded.rstrip(b"\x00")[:-1] != given["report"].encode() or padded.rstrip(b"\x00")[-1] != 0x80:
            fail("browser envelope padding is wrong")
        # Proof of work: the browser's nonce must satisfy PyNaCl's hash.
        token = bytes(rng.getrandbits(8) for _ in range(41))
        nonce = solve_async(driver, token)
        digest = nacl.hash.blake2b(token + nonce, digest_size=32, encoder=nacl.encoding.RawEncoder)
        bits = next((i * 8 + (8 - b.bit_length()) for i, b in enumerate(digest) if b), 256)
        if bits < 12:
            fail("browser proof of work has %d bits, not 12" % bits)
        # The WebAssembly engine (pow.wasm from pow.c): the page must have loaded it and checked
        # it; its BLAKE2b gives the same unkeyed digests as libsodium, and its nonces satisfy
        # PyNaCl's hash.
        wait_for(driver, lambda: driver.execute_script("return !!document.getElementById('report').dataset.powEngine"), what="the proof-of-work engine")
        engine = driver.execute_script("return document.getElementById('report').dataset.powEngine")
        if engine != "wasm":
            fail("the page did not use its WebAssembly proof of work (engine: %r)" % engine)
        unkeyed = [c for c in cases if not c["key"] and len(c["message"]) // 2 <= 1024]
        driver.set_script_timeout(60)
        wasm_digests = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const S = window.ResguardoSealing, f = document.getElementById('report');
            const bytes = h => new Uint8Array((h.match(/../g) || []).map(x => parseInt(x, 16)));
            S.loadPowEngine(f.dataset.powWasm, f.dataset.powWasmIntegrity).then(e => done(arguments[0].map(c => {
                const m = bytes(c.message);
                new Uint8Array(e.memory.buffer).set(m, e.input());
                e.hash(m.length, c.size);
                return S.hex(new Uint8Array(e.memory.buffer).slice(e.digest(), e.digest() + c.size));
            })));
        """, unkeyed)
        wrong = [c for c, r in zip(unkeyed, wasm_digests) if r != c["digest"]]
        if len(unkeyed) < 20 or wrong:
            fail("WebAssembly BLAKE2b: %d of %d digests differ%s" % (len(wrong), len(unkeyed), (", first: %r" % wrong[0]) if wrong else ""))
        nonce = solve_async(driver, token, engine=True)
        digest = nacl.hash.blake2b(token + nonce, digest_size=32, encoder=nacl.encoding.RawEncoder)
        bits = next((i * 8 + (8 - b.bit_length()) for i, b in enumerate(digest) if b), 256)
        if bits < 12:
            fail("WebAssembly proof of work has %d bits, not 12" % bits)
        json.dump({"checked": len(cases), "wasm_checked": len(unkeyed), "secret_key": bytes(recipient).hex(), "envelope": envelope}, open(outfile, "w"))
    finally:
        driver.quit()
    # WebAssembly off (Tor Browser's Safest mode leaves `WebAssembly` undefined, as here before
    # any script of the page runs): the page searches in JavaScript.
    driver = browser()
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": "delete globalThis.WebAssembly;"})
        driver.get(base + "/")
        wait_for(driver, lambda: driver.execute_script("return !!document.getElementById('report').dataset.powEngine"), what="the proof-of-work engine")
        engine = driver.execute_script("return document.getElementById('report').dataset.powEngine")
        if engine != "javascript":
            fail("with WebAssembly off the page should search in JavaScript, not %r" % engine)
    finally:
        driver.quit()


def solve_async(driver, token, engine=False):
    """A 12-bit proof in the page: in JavaScript, or with engine=True in its WebAssembly."""
    driver.set_script_timeout(120)
    return bytes.fromhex(driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const S = window.ResguardoSealing, f = document.getElementById('report');
        (arguments[1] ? S.loadPowEngine(f.dataset.powWasm, f.dataset.powWasmIntegrity) : Promise.resolve(null))
            .then(e => S.solve(S.fromBase64(arguments[0]), 12, null, e)).then(n => done(S.hex(n)));
    """, base64.b64encode(token).decode(), engine))


def screenshots(base, folder):
    from selenium.webdriver.common.by import By

    os.makedirs(folder, exist_ok=True)
    for lang in ("es", "en"):
        driver = browser(width=360, height=780, ratio=2)
        try:
            driver.get(base + "/?lang=" + lang)
            wait_for(driver, lambda: driver.execute_script("return !document.getElementById('mode-js').hidden"), what="the page's script")
            unlabelled = driver.execute_script("""
                return Array.from(document.querySelectorAll('input, select, textarea'))
                  .filter(e => e.type !== 'hidden' && !document.querySelector('label[for="' + e.id + '"]'))
                  .map(e => e.name || e.id);""")
            if unlabelled:
                fail("fields without a label: " + ", ".join(unlabelled))
            overflow = driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth")
            if overflow:
                fail("the page is wider than a 360 px screen (" + lang + ")")
            small = driver.execute_script("""
                return Array.from(document.querySelectorAll('button, select, input[type=text], input[type=number], .check label'))
                  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
                  .map(e => e.id || e.htmlFor || e.textContent.slice(0, 20));""")
            if small:
                fail("touch targets smaller than 44 px: " + ", ".join(small))
            if driver.find_element(By.TAG_NAME, "html").get_attribute("lang") != lang:
                fail("page language is not " + lang)
            driver.save_screenshot(os.path.join(folder, "webform-%s.png" % lang))
            if lang == "es":
                # The codename as a defender sees it once, and "Consultar respuestas" below it.
                driver.find_element(By.CSS_SELECTOR, "label[for='want_codename']").click()
                wait_for(driver, lambda: driver.find_element(By.ID, "codename-words").text, what="the codename")
                driver.execute_script("document.getElementById('codename-section').scrollIntoView()")
                driver.save_screenshot(os.path.join(folder, "webform-codename-es.png"))
            problems = console_problems(driver)
            if problems:
                fail("console: " + " | ".join(problems))
        finally:
            driver.quit()


def timed_send(driver):
    """Fills the form with about 2 KB of report (as the benchmarks ask), presses "Enviar" and
    returns the milliseconds until the receipt shows, timed inside the page so WebDriver's own
    round trips do not count."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.NAME, "country")).select_by_value("GT")
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.NAME, "description"), "Amenaza. " * 220)
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const receipt = document.getElementById('receipt');
        const t0 = performance.now();
        new MutationObserver((_, observer) => {
          if (!receipt.hidden) { observer.disconnect(); done(performance.now() - t0); }
        }).observe(receipt, {attributes: true});
        document.getElementById('send').click();
    """)


def bench(base, runs):
    """Median time from pressing "Enviar" to the receipt (2 KB report), and the anchor from the
    same browser and page: posting an envelope sealed beforehand (challenge + POST only)."""
    driver = browser()
    driver.set_script_timeout(300)
    times, anchors = [], []
    try:
        for _ in range(runs):
            driver.get(base + "/?lang=es")
            wait_for(driver, lambda: driver.execute_script("return document.getElementById('report').dataset.keys === 'checked'"), what="the keys")
            times.append(timed_send(driver) / 1000)
            anchors.append(driver.execute_async_script("""
                const done = arguments[arguments.length - 1];
                const S = window.ResguardoSealing;
                (async () => {
                  const keys = S.verifyManifest(await (await fetch('/v1/keys')).text(), document.getElementById('report').dataset.fingerprint, new Date().toISOString().slice(0, 10));
                  const envelope = S.envelope(new TextEncoder().encode(JSON.stringify({version: 1, language: 'es', country: 'GT', description: 'Amenaza. '.repeat(220)})), keys.key, false);
                  const t0 = performance.now();
                  const c = await (await fetch('/v1/challenge')).json();
                  const headers = {'Content-Type': 'application/octet-stream'};
                  if (c.difficulty > 0) { headers['Resguardo-Token'] = c.token; headers['Resguardo-Proof'] = S.toBase64(new Uint8Array(8)); }
                  await fetch('/v1/reports', {method: 'POST', body: envelope, headers});
                  done(performance.now() - t0);
                })();
            """) / 1000)
        hashes = driver.execute_script("""
            const S = window.ResguardoSealing, input = new Uint8Array(49);
            const t0 = performance.now(); let n = 0;
            while (performance.now() - t0 < 1000) { input[41] = n & 255; input[42] = n >> 8; S.blake2b(input, 32); n++; }
            return n / ((performance.now() - t0) / 1000);""")
    finally:
        driver.quit()
    times.sort()
    anchors.sort()
    print(json.dumps({"runs": runs, "median_ms": round(times[len(times) // 2] * 1000, 1), "max_ms": round(times[-1] * 1000, 1),
                      "anchor_median_ms": round(anchors[len(anchors) // 2] * 1000, 1), "blake2b_per_second": round(hashes)}))



# The phone profiles of scripts/bench web (issue 21): Chromium's CPU throttling and network
# emulation through DevTools. Throughputs in bytes per second, latency in ms.
PHONE_PROFILES = {
    "desktop": None,
    "slow": {"cpu": 6, "latency": 400, "throughput": 400_000 // 8},
    "good-3g": {"cpu": 6, "latency": 150, "throughput": 1_600_000 // 8},
}


def phone(base, runs, profile):
    """First visits (a fresh browser each, so an empty cache) on a throttled phone: page open →
    form usable (the keys checked), and "Enviar" → receipt; the proof-of-work engine the page used."""
    settings = PHONE_PROFILES[profile]
    usable, receipts, engines = [], [], set()
    for _ in range(runs):
        driver = browser()
        driver.set_script_timeout(300)
        try:
            if settings:
                driver.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": settings["cpu"]})
                driver.execute_cdp_cmd("Network.enable", {})
                driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
                    "offline": False, "latency": settings["latency"],
                    "downloadThroughput": settings["throughput"], "uploadThroughput": settings["throughput"]})
            driver.get(base + "/?lang=es")
            # From the navigation's start (performance.now() is measured from it).
            usable.append(driver.execute_async_script("""
                const done = arguments[arguments.length - 1];
                (function poll() {
                  const f = document.getElementById('report');
                  if (f && f.dataset.keys === 'checked') done(performance.now()); else setTimeout(poll, 10);
                })();
            """))
            receipts.append(timed_send(driver))
            engines.add(driver.execute_script("return document.getElementById('report').dataset.powEngine || 'none'"))
        finally:
            driver.quit()
    usable.sort()
    receipts.sort()
    print(json.dumps({"profile": profile, "runs": runs, "usable_ms": round(usable[len(usable) // 2]), "usable_max_ms": round(usable[-1]),
                      "receipt_ms": round(receipts[len(receipts) // 2]), "receipt_max_ms": round(receipts[-1]), "engines": sorted(engines)}))


def hash_rates(base):
    """BLAKE2b-256 of 49-byte inputs (a token and a nonce) per second in the page: its JavaScript,
    and its WebAssembly search (a difficulty no nonce meets, so every call tries them all);
    unthrottled and with the CPU throttled 6×."""
    driver = browser()
    driver.set_script_timeout(120)
    try:
        driver.get(base + "/")
        wait_for(driver, lambda: driver.execute_script("return !!document.getElementById('report').dataset.powEngine"), what="the proof-of-work engine")
        rates = {}
        for rate in (1, 6):
            driver.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": rate})
            rates[rate] = driver.execute_async_script("""
                const done = arguments[arguments.length - 1];
                const S = window.ResguardoSealing, f = document.getElementById('report');
                S.loadPowEngine(f.dataset.powWasm, f.dataset.powWasmIntegrity).then((e) => {
                  const input = new Uint8Array(49);
                  let t0 = performance.now(), n = 0;
                  while (performance.now() - t0 < 1000) { input[41] = n & 255; input[42] = n >> 8; S.blake2b(input, 32); n++; }
                  const js = n / ((performance.now() - t0) / 1000);
                  let wasm = 0;
                  if (e) {
                    new Uint8Array(e.memory.buffer).set(input.subarray(0, 41), e.input());
                    t0 = performance.now(); n = 0;
                    while (performance.now() - t0 < 1000) { e.solve(41, 255, n, 0, 4096); n += 4096; }
                    wasm = n / ((performance.now() - t0) / 1000);
                  }
                  done({js, wasm});
                });
            """)
    finally:
        driver.quit()
    print(json.dumps({"js": round(rates[1]["js"]), "wasm": round(rates[1]["wasm"]), "js_throttled": round(rates[6]["js"]), "wasm_throttled": round(rates[6]["wasm"])}))

def voice(base, out, shot=None):
    from selenium.webdriver.common.by import By

    driver = browser(extra=("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"), height=1400)
    try:
        driver.get(base + "/?lang=es")
        wait_for(driver, lambda: driver.execute_script("return !document.getElementById('voice').hidden"), what="the voice recorder")
        driver.execute_script("document.getElementById('country').value = 'HN'; document.getElementById('country').dispatchEvent(new Event('change'));")
        driver.find_element(By.ID, "description").send_keys("Mensaje de voz de prueba.")
        warning = driver.find_element(By.ID, "voice-warning").text
        if "Su voz puede identificarla" not in warning:
            fail("the page does not say a voice identifies its speaker before recording: " + warning)
        driver.execute_script("document.getElementById('voice').scrollIntoView()")
        driver.find_element(By.ID, "voice-record").click()
        wait_for(driver, lambda: driver.execute_script("return !document.getElementById('voice-stop').hidden"), what="recording to start")
        recorded_for = 3.0
        time.sleep(recorded_for)
        driver.find_element(By.ID, "voice-stop").click()
        wait_for(driver, lambda: driver.execute_script("return !document.getElementById('voice-review').hidden"), what="the recording to be ready")
        status = driver.find_element(By.ID, "voice-status").text
        if "KB" not in status or "Grabación lista" not in status:
            fail("the size is not shown: " + status)
        if not driver.execute_script("return document.getElementById('voice-preview').src.startsWith('blob:')"):
            fail("no preview to listen to")
        if shot:
            driver.save_screenshot(shot)
        driver.find_element(By.ID, "voice-add").click()
        listed = driver.find_element(By.ID, "attachment-list").text
        if "KB" not in listed:
            fail("the recording is not listed with the attachments: " + listed)
        receipt = send_and_wait(driver)
        json.dump({"receipt": receipt, "recorded_seconds": recorded_for, "status": status}, open(out, "w"))
    finally:
        driver.quit()


def voice_denied(base, shot=None):
    from selenium.webdriver.common.by import By

    # No fake UI: the microphone permission is refused, as a defender may refuse it.
    driver = browser(extra=("--use-fake-device-for-media-stream",), height=1400,
                     prefs_extra={"profile.default_content_setting_values.media_stream_mic": 2})
    try:
        driver.get(base + "/?lang=es")
        wait_for(driver, lambda: driver.execute_script("return !document.getElementById('voice').hidden"), what="the voice recorder")
        driver.find_element(By.ID, "voice-record").click()
        wait_for(driver, lambda: driver.execute_script("return !document.getElementById('voice-unavailable').hidden"), what="the fallback")
        text = driver.find_element(By.ID, "voice-unavailable").text
        if "Tor Browser" not in text or not driver.find_element(By.ID, "voice-file").is_displayed():
            fail("the fallback does not say why or offers no file picker: " + text)
        if shot:
            driver.execute_script("document.getElementById('voice').scrollIntoView()")
            driver.save_screenshot(shot)
        print(json.dumps({"fallback": text}))
    finally:
        driver.quit()


def photo(out):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (230, 230, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 600, 440), outline=(120, 20, 80), width=8)
    draw.text((80, 220), "foto de prueba", fill=(0, 0, 0))
    exif = Image.Exif()
    exif[0x010F] = "TelefonoBarato"
    exif[0x0110] = "Modelo X1"
    exif[0x0132] = "2026:10:03 21:14:00"
    exif[0x8825] = {1: "N", 2: (15.0, 46.0, 30.0), 3: "W", 4: (87.0, 27.0, 10.0)}
    image.save(out, "JPEG", exif=exif.tobytes())


def gps(path):
    from PIL import Image

    data = open(path, "rb").read()
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    print(json.dumps({"exif": len(exif) > 0, "gps": {str(k): str(v) for k, v in exif.get_ifd(0x8825).items()},
                      "size": list(image.size)}))


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    command, args = argv[1], argv[2:]
    if command == "vectors" and len(args) == 3:
        vectors(*args)
    elif command == "submit" and len(args) == 3:
        submit(*args)
    elif command == "nojs" and len(args) == 2:
        nojs(*args)
    elif command == "networks" and len(args) in (5, 6):
        networks(*args)
    elif command == "tampered" and len(args) == 3:
        tampered(*args)
    elif command == "offline" and len(args) == 3:
        offline(*args)
    elif command == "fileform" and len(args) == 3:
        fileform(*args)
    elif command == "voice" and len(args) in (2, 3):
        voice(*args)
    elif command == "voice-denied" and len(args) in (1, 2):
        voice_denied(*args)
    elif command == "codename" and len(args) == 2:
        codename(*args)
    elif command == "read-replies" and len(args) == 2:
        read_replies(*args)
    elif command == "screenshots" and len(args) == 2:
        screenshots(*args)
    elif command == "bench" and len(args) == 2:
        bench(args[0], int(args[1]))
    elif command == "phone" and len(args) == 3 and args[2] in PHONE_PROFILES:
        phone(args[0], int(args[1]), args[2])
    elif command == "hash-rates" and len(args) == 1:
        hash_rates(*args)
    elif command == "photo" and len(args) == 1:
        photo(*args)
    elif command == "gps" and len(args) == 1:
        gps(*args)
    else:
        fail("unknown command or wrong arguments\n" + __doc__)


if __name__ == "__main__":
    main(sys.argv)
