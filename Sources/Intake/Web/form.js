// The Resguardo web form with JavaScript: takes over the server-rendered form, builds the
// Report v1 JSON on the device, seals it to the network's key (checked against the pinned
// fingerprint) and posts only the envelope. Without this script the same form posts to the
// no-JavaScript path, which the page says. Nothing is written to local storage or cookies; after
// a receipt every field and variable is cleared.
'use strict';
(function () {
  const S = window.ResguardoSealing;
  const form = document.getElementById('report');
  if (!form || !S || !window.nacl || !window.fetch || !window.TextEncoder) return; // stay in no-JS mode

  const $ = (id) => document.getElementById(id);
  const lang = form.dataset.lang === 'en' ? 'en' : 'es';
  const attachmentLimit = Number(form.dataset.attachmentLimit) || 11 * 1048576;
  // The offline form (one file the network hands out) reaches the intake at an absolute address
  // and carries the manifest of the day it was made: keys older than that are refused.
  const base = form.dataset.intake || '';
  // Started at once, so the WebAssembly is ready by the time a report is sent.
  const powEngine = S.loadPowEngine(form.dataset.powWasm, form.dataset.powWasmIntegrity).then((engine) => {
    form.dataset.powEngine = engine ? 'wasm' : 'javascript';
    return engine;
  });
  const notIssuedBefore = form.dataset.notIssuedBefore || '';
  const status = $('status');
  const sendButton = $('send');
  let files = [];
  let pending = null; // the sealed envelope, kept only until it is received or saved
  let busy = false;

  function msg(code) {
    const p = document.querySelector('#messages [data-code="' + code + '"]');
    return p ? p.textContent : code;
  }

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle('error', !!isError);
  }

  // This page can seal on the device: say so, and offer attachments.
  $('mode-nojs').hidden = true;
  $('mode-js').hidden = false;
  $('attachments-section').hidden = false;

  // Codenames: made and used on this device only (docs/formats.md §12).
  const codenameSection = $('codename-section');
  codenameSection.hidden = false;
  $('replies-section').hidden = false;
  let wordList = null;
  let madeCodename = null;

  async function words() {
    if (wordList) return wordList;
    let text;
    if (codenameSection.dataset.words.startsWith('#')) {
      text = document.querySelector(codenameSection.dataset.words).textContent;
    } else {
      const response = await fetch(codenameSection.dataset.words,
        { integrity: codenameSection.dataset.wordsIntegrity, cache: 'no-store', credentials: 'omit' });
      if (!response.ok) throw new S.SealingError('wordlist');
      text = await response.text();
    }
    const list = text.split('\n').filter(Boolean);
    if (list.length !== 7776) throw new S.SealingError('wordlist');
    wordList = list;
    return list;
  }

  // A typed codename, normalised and checked against the list, or an error code.
  async function checkedCodename(typed) {
    const normalised = S.normaliseCodename(typed);
    const known = new Set(await words());
    const parts = normalised.split(' ').filter(Boolean);
    if (parts.length !== 7 || !parts.every((w) => known.has(w))) throw new S.SealingError('codename_invalid');
    return normalised;
  }

  $('want_codename').addEventListener('change', async (event) => {
    madeCodename = null;
    $('codename-box').hidden = true;
    $('codename-words').textContent = '';
    if (!event.target.checked) return;
    try {
      madeCodename = S.generateCodename(await words());
      $('codename-words').textContent = madeCodename;
      $('codename-box').hidden = false;
    } catch (e) {
      event.target.checked = false;
      say(msg(e.code || 'wordlist'), true);
    }
  });

  // The codename this report carries, if any: one typed from an earlier report links to it.
  async function reportCodename() {
    const typed = $('existing_codename').value;
    if (typed.trim() !== '') return checkedCodename(typed);
    return madeCodename;
  }

  $('replies_check').addEventListener('click', async () => {
    const list = $('replies-list');
    const note = $('replies-status');
    list.textContent = '';
    try {
      const keys = S.codenameKeys(await checkedCodename($('replies_codename').value));
      // Not left on the screen of a phone someone might pick up.
      $('replies_codename').value = '';
      const response = await fetch(base + '/v1/mailbox/' + keys.mailbox, { cache: 'no-store', credentials: 'omit' });
      if (!response.ok) throw new S.SealingError('server');
      const sealed = (await response.json()).replies || [];
      const opened = sealed.map((b64) => S.openReply(S.fromBase64(b64), keys)).filter(Boolean);
      keys.secretKey.fill(0);
      note.textContent = msg(opened.length ? 'replies_found' : 'no_replies');
      opened.forEach((reply) => {
        const li = document.createElement('li');
        const day = document.createElement('strong');
        day.textContent = reply.day;
        li.appendChild(day);
        li.appendChild(document.createTextNode('\n' + reply.message));
        list.appendChild(li);
      });
    } catch (e) {
      note.textContent = msg(e && e.code ? e.code : 'network');
    }
  });

  // Show only the regions of the chosen country.
  const region = $('region');
  const groups = Array.from(region.querySelectorAll('optgroup'));
  function filterRegions() {
    const country = $('country').value;
    const chosen = region.value;
    groups.forEach((g) => g.remove());
    groups.filter((g) => g.dataset.country === country).forEach((g) => region.appendChild(g));
    region.value = Array.from(region.options).some((o) => o.value === chosen) ? chosen : '';
  }
  $('country').addEventListener('change', filterRegions);
  filterRegions();

  // Attachments: photos are re-encoded to drop EXIF/GPS unless the defender keeps originals.
  const cleanable = ['image/jpeg', 'image/png', 'image/webp'];
  const willClean = (file) => cleanable.includes(file.type) && !$('keep_originals').checked;

  function listFiles() {
    const list = $('attachment-list');
    list.textContent = '';
    files.forEach((file, i) => {
      const li = document.createElement('li');
      const kb = Math.max(1, Math.round(file.size / 1024));
      li.textContent = file.name + ' (' + kb + ' KB, ' + (willClean(file) ? msg('will_clean') : msg('travels_with_data')) + ')';
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = msg('remove');
      remove.addEventListener('click', () => {
        files.splice(i, 1);
        listFiles();
      });
      li.appendChild(remove);
      list.appendChild(li);
    });
  }
  // Voice notes (issue 20): recorded in the page with MediaRecorder (Opus), listened to, then
  // attached like any file, under a neutral name. Where the browser cannot record (Tor Browser,
  // no microphone, permission refused) the page says so and offers a file picker instead.
  const voiceFiles = new Set();
  (function voice() {
    const section = $('voice');
    if (!section) return;
    section.hidden = false;
    const status = $('voice-status');
    const preview = $('voice-preview');
    let recorder = null;
    let recorded = null;
    let ticker = null;
    const unavailable = () => {
      $('voice-record').hidden = true;
      $('voice-stop').hidden = true;
      $('voice-unavailable').hidden = false;
    };
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder)) unavailable();
    const reset = () => {
      if (preview.src) URL.revokeObjectURL(preview.src);
      preview.removeAttribute('src');
      preview.hidden = true;
      $('voice-review').hidden = true;
      recorded = null;
    };
    $('voice-record').addEventListener('click', async () => {
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (e) {
        unavailable();
        return;
      }
      reset();
      const type = ['audio/ogg;codecs=opus', 'audio/webm;codecs=opus'].find((t) => MediaRecorder.isTypeSupported(t)) || '';
      recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
      const chunks = [];
      const started = Date.now();
      recorder.addEventListener('dataavailable', (e) => { if (e.data && e.data.size) chunks.push(e.data); });
      recorder.addEventListener('stop', () => {
        clearInterval(ticker);
        stream.getTracks().forEach((t) => t.stop());
        const mime = (recorder.mimeType || type || 'audio/webm').split(';')[0];
        recorded = new Blob(chunks, { type: mime });
        recorded.seconds = Math.max(1, Math.round((Date.now() - started) / 1000));
        preview.src = URL.createObjectURL(recorded);
        preview.hidden = false;
        $('voice-review').hidden = false;
        status.textContent = msg('voice_ready').replace('{seconds}', recorded.seconds).replace('{kb}', Math.max(1, Math.round(recorded.size / 1024)));
        $('voice-record').hidden = false;
        $('voice-stop').hidden = true;
      });
      recorder.start(1000);
      $('voice-record').hidden = true;
      $('voice-stop').hidden = false;
      status.textContent = msg('voice_recording').replace('{seconds}', 0);
      ticker = setInterval(() => {
        status.textContent = msg('voice_recording').replace('{seconds}', Math.round((Date.now() - started) / 1000));
      }, 1000);
    });
    $('voice-stop').addEventListener('click', () => { if (recorder && recorder.state !== 'inactive') recorder.stop(); });
    $('voice-add').addEventListener('click', () => {
      if (!recorded) return;
      const ext = recorded.type.includes('ogg') ? 'ogg' : 'webm';
      const file = new File([recorded], msg('voice_label') + '.' + ext, { type: recorded.type });
      voiceFiles.add(file);
      files.push(file);
      listFiles();
      reset();
      status.textContent = msg('voice_added');
    });
    $('voice-discard').addEventListener('click', () => { reset(); status.textContent = ''; });
    $('voice-file').addEventListener('change', (event) => {
      Array.from(event.target.files).forEach((f) => voiceFiles.add(f));
      files = files.concat(Array.from(event.target.files));
      event.target.value = '';
      listFiles();
    });
  })();

  $('attachments').addEventListener('change', (event) => {
    files = files.concat(Array.from(event.target.files));
    event.target.value = '';
    listFiles();
  });
  $('keep_originals').addEventListener('change', listFiles);

  async function cleanPhoto(file, n) {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    // Large enough to read any detail, small enough for a cheap phone's memory.
    const scale = Math.min(1, 4096 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.88));
    canvas.width = 0;
    canvas.height = 0;
    if (!blob) throw new Error(file.name);
    // A neutral name: a camera's file name can carry the date, the phone or the place.
    return { filename: 'foto-' + n + '.jpg', media_type: 'image/jpeg', bytes: new Uint8Array(await blob.arrayBuffer()) };
  }

  async function prepareAttachments() {
    const out = [];
    for (let i = 0; i < files.length; i++) {
      const file = files[i];
      try {
        if (willClean(file)) {
          out.push(await cleanPhoto(file, i + 1));
        } else {
          // A neutral name here too (a document's name can carry a person's name or a place);
          // only a short extension survives. The contents keep their metadata: the page says so.
          const ext = (/\.([A-Za-z0-9]{1,5})$/.exec(file.name) || ['', ''])[1].toLowerCase();
          // A voice note (recorded here or picked as one) is called what it is, nothing more.
          const stem = voiceFiles.has(file) ? 'voz-' : 'archivo-';
          out.push({ filename: stem + (i + 1) + (ext ? '.' + ext : ''), media_type: file.type || 'application/octet-stream', bytes: new Uint8Array(await file.arrayBuffer()) });
        }
      } catch (e) {
        throw new S.SealingError('file_unreadable', file.name);
      }
    }
    if (out.reduce((n, a) => n + a.bytes.length, 0) > attachmentLimit) throw new S.SealingError('too_large');
    return out;
  }

  // The same mapping as the intake's no-JavaScript path (FormReport.swift).
  function buildReport(attachments, codename) {
    const data = new FormData(form);
    const one = (name) => {
      const v = data.get(name);
      return typeof v === 'string' && v.trim() !== '' ? v : null;
    };
    const all = (name) => data.getAll(name).filter((v) => typeof v === 'string' && v !== '');
    const yesNo = (name) => (one(name) === 'yes' ? true : one(name) === 'no' ? false : null);
    const report = { version: 1, language: lang, country: one('country') };
    const set = (key, value) => {
      if (value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0)) report[key] = value;
    };
    set('region', one('region'));
    set('locality', one('locality'));
    set('setting', one('setting'));
    const y = one('incident_year'), m = one('incident_month'), d = one('incident_day');
    if ((d && !m) || (m && !y)) throw new S.SealingError('date_incomplete');
    set('incident_date', y ? [y, m, d].filter(Boolean).join('-') : null);
    set('aggression_types', all('aggression_types'));
    set('perpetrators', all('perpetrators'));
    set('rights_defended', all('rights_defended'));
    set('target_scope', one('target_scope'));
    set('people_affected', one('people_affected') ? parseInt(one('people_affected'), 10) : null);
    const genderTypes = all('gender_component_types');
    set('gender_component', genderTypes.length > 0 && yesNo('gender_component') === null ? true : yesNo('gender_component'));
    set('gender_component_types', genderTypes);
    set('affects_relatives', yesNo('affects_relatives'));
    report.description = (one('description') || '').replace(/\r\n/g, '\n');
    const defender = {};
    [['name', 'defender_name'], ['organisation', 'defender_organisation'], ['contact', 'defender_contact'],
      ['national_id', 'defender_national_id'], ['age_band', 'defender_age_band'],
      ['gender_identity', 'defender_gender_identity'], ['ethnicity', 'defender_ethnicity']].forEach(([key, name]) => {
      if (one(name)) defender[key] = one(name);
    });
    if (one('defender_birth_year')) defender.birth_year = parseInt(one('defender_birth_year'), 10);
    if (Object.keys(defender).length > 0) report.defender = defender;
    set('needs', all('needs'));
    report.urgent = data.get('urgent') === 'on';
    report.consent = { registry: data.get('consent_registry') === 'on', contact: data.get('consent_contact') === 'on' };
    if (codename) {
      const keys = S.codenameKeys(codename);
      report.reply_public_key = S.toBase64(keys.publicKey);
      keys.secretKey.fill(0);
    }
    set('attachments', attachments.map((a) => ({ filename: a.filename, media_type: a.media_type, data: S.toBase64(a.bytes) })));
    return report;
  }

  function today() {
    return new Date().toISOString().slice(0, 10);
  }

  // Several networks (data-networks): the chosen country's network, its manifest at its own
  // path, checked against its own fingerprint. One network: /v1/keys and data-fingerprint.
  const networks = form.dataset.networks ? JSON.parse(form.dataset.networks) : null;
  function chosenNetwork() {
    if (!networks) return { id: null, fingerprint: form.dataset.fingerprint };
    const country = $('country').value;
    return networks.find((n) => n.countries.includes(country)) || null;
  }

  async function loadKeys(network) {
    if (!network) throw new S.SealingError('no_network');
    const path = network.id ? '/v1/networks/' + encodeURIComponent(network.id) + '/keys' : '/v1/keys';
    let response;
    try {
      response = await fetch(base + path, { cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      // Unreachable: the offline form seals with the manifest it carries (checked the same way).
      if (form.dataset.manifest) return S.verifyManifest(atob(form.dataset.manifest), network.fingerprint, today(), notIssuedBefore);
      throw e;
    }
    if (!response.ok) throw new S.SealingError('manifest_malformed');
    return S.verifyManifest(await response.text(), network.fingerprint, today(), notIssuedBefore);
  }

  // Keys are fetched and checked as the page opens (with several networks, as the country is
  // chosen): a bad signature is said before anyone types her account, and if the network drops
  // later the report can still be sealed (and saved).
  const checkedKeys = {};
  function checkKeys() {
    const network = chosenNetwork();
    if (networks) {
      $('network-chosen').hidden = !network;
      $('network-name').textContent = network ? network.name : '';
      $('fingerprint').textContent = network ? network.fingerprint : '';
      $('network-org').textContent = network ? network.name : networks.map((n) => n.name).join(' · ');
    }
    if (!network) return;
    loadKeys(network).then((keys) => {
      checkedKeys[network.id] = keys;
      form.dataset.keys = 'checked';
    }).catch((e) => {
      if (e && e.code) say(msg(e.code), true);
    });
  }
  $('country').addEventListener('change', checkKeys);
  checkKeys();

  async function seal() {
    say(msg('keys'));
    const network = chosenNetwork();
    let keys;
    try {
      keys = await loadKeys(network);
    } catch (e) {
      // A key that fails its checks always stops; only an unreachable server falls back.
      if ((e && e.code) || !network || !checkedKeys[network.id]) throw e;
      keys = checkedKeys[network.id];
    }
    if (files.length > 0) say(msg('photos'));
    const codename = await reportCodename();
    const attachments = await prepareAttachments();
    say(msg('sealing'));
    const report = buildReport(attachments, codename);
    const plaintext = new TextEncoder().encode(JSON.stringify(report));
    try {
      return S.envelope(plaintext, keys.key, report.urgent);
    } finally {
      plaintext.fill(0);
      attachments.forEach((a) => a.bytes.fill(0));
    }
  }

  async function send(envelope) {
    const challenge = await (await fetch(base + '/v1/challenge', { cache: 'no-store', credentials: 'omit' })).json();
    const headers = { 'Content-Type': 'application/octet-stream' };
    if (challenge.difficulty > 0) {
      say(msg('work'));
      const nonce = await S.solve(S.fromBase64(challenge.token), challenge.difficulty,
        (p) => say(msg('work') + ' ' + Math.round(p * 100) + '%'), await powEngine);
      headers['Resguardo-Token'] = challenge.token;
      headers['Resguardo-Proof'] = S.toBase64(nonce);
    }
    say(msg('sending'));
    return fetch(base + '/v1/reports', { method: 'POST', body: envelope, headers, cache: 'no-store', credentials: 'omit' });
  }

  function clearEverything() {
    form.querySelectorAll('input, textarea, select').forEach((el) => {
      if (el.type === 'hidden') return;
      if (el.type === 'checkbox') el.checked = false;
      else if (el.type === 'radio') el.checked = el.value === '';
      else if (el.tagName === 'SELECT') el.selectedIndex = 0;
      else el.value = '';
    });
    files = [];
    listFiles();
    madeCodename = null;
    $('codename-box').hidden = true;
    $('codename-words').textContent = '';
    filterRegions();
    if (pending) pending.fill(0);
    pending = null;
  }

  function showOffline(reason) {
    $('offline-reason').textContent = reason;
    $('offline').hidden = false;
    $('offline').focus();
  }

  async function deliver() {
    let response;
    try {
      response = await send(pending);
    } catch (e) {
      say(msg('network'), true);
      showOffline(msg('network'));
      return;
    }
    if (response.status === 201) {
      const receipt = (await response.json()).receipt;
      clearEverything();
      say('');
      $('offline').hidden = true;
      $('receipt-code').textContent = receipt;
      $('receipt').hidden = false;
      $('receipt').focus();
      return;
    }
    let detail = '';
    try {
      detail = (await response.json()).message || '';
    } catch (e) { /* not JSON: keep the status only */ }
    const reason = response.status >= 500 || response.status === 429 ? msg('server') : msg('refused') + ' ' + detail;
    say(reason, true);
    showOffline(reason);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    sendButton.disabled = true;
    $('receipt').hidden = true;
    $('offline').hidden = true;
    try {
      pending = await seal();
      await deliver();
    } catch (e) {
      say(e && e.code ? msg(e.code) + (e.code === 'file_unreadable' ? ' ' + e.message.split(': ').slice(1).join(': ') : '') : msg('network'), true);
      status.focus && status.focus();
    } finally {
      busy = false;
      sendButton.disabled = false;
    }
  });

  $('retry').addEventListener('click', async () => {
    if (!pending || busy) return;
    busy = true;
    try {
      await deliver();
    } finally {
      busy = false;
    }
  });

  // Seal now, send later: the *sealed* envelope only, never the plaintext.
  $('save').addEventListener('click', () => {
    if (!pending) return;
    const url = URL.createObjectURL(new Blob([pending], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'denuncia-' + today() + '.rsg1';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
})();
