/* The learner pages' one script. Plain ES5 so a 2016 tablet's browser runs it; every page works
   without it. It adds: the PIN keypad, name suggestions, video resume, and an outbox that keeps
   what could not be sent (in localStorage) and sends it again when the server answers. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.className += " js";
  var csrfMeta = document.querySelector('meta[name="csrf"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var net = document.getElementById("net");
  var OUTBOX = "ul-outbox";

  function text(key) { return (net && net.getAttribute("data-" + key)) || key; }

  function say(message, kind) {
    if (!net) { return; }
    net.textContent = message;
    net.className = "net " + (kind || "");
    net.hidden = !message;
  }

  function encode(fields) {
    var parts = [];
    if (fields instanceof Array) {  /* [[name, value], ...]: a form with repeated names */
      for (var i = 0; i < fields.length; i++) {
        parts.push(encodeURIComponent(fields[i][0]) + "=" + encodeURIComponent(fields[i][1]));
      }
      return parts.join("&");
    }
    for (var name in fields) {
      if (Object.prototype.hasOwnProperty.call(fields, name)) {
        parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(fields[name]));
      }
    }
    return parts.join("&");
  }

  function opId() {
    var bytes = "";
    for (var i = 0; i < 4; i++) { bytes += Math.floor(Math.random() * 0x100000000).toString(36); }
    return "js-" + bytes;
  }

  function post(url, fields, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url, true);
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.setRequestHeader("X-Requested-With", "page-script");
    xhr.timeout = 15000;
    xhr.onload = function () { done(xhr.status, xhr); };
    xhr.onerror = xhr.ontimeout = function () { done(0, xhr); };
    xhr.send(encode(fields));
  }

  function readOutbox() {
    try { return JSON.parse(window.localStorage.getItem(OUTBOX) || "[]"); } catch (e) { return []; }
  }

  function writeOutbox(items) {
    try { window.localStorage.setItem(OUTBOX, JSON.stringify(items)); return true; } catch (e) { return false; }
  }

  /* Where to go once the outbox is empty: the page that tells what the server counted, after it
     refused an answer of this attempt (the time is over), or the review when the timer ends. */
  var leaveTo = null;
  var timeUp = "";

  /* The server would not take it, and said why (409 with the sentence and, in X-Then, the page that
     tells what counted): show its words; on the pages of that attempt, go there once all is sent. */
  function refused(url, xhr) {
    var then = xhr.status === 409 && xhr.getResponseHeader("X-Then");
    if (!then) { return false; }
    say(xhr.responseText, "bad");
    var attempt = url.split("/").slice(0, 3).join("/");
    var here = window.location.pathname;
    if (here === attempt || here.indexOf(attempt + "/") === 0) { leaveTo = then; }
    return true;
  }

  /* Go to `leaveTo`, but only once the outbox is empty and the server answers: offline, the page stays. */
  function leave() {
    if (!leaveTo) { return; }
    if (readOutbox().length) { flush(); return; }  /* flush comes back here when it is empty */
    var xhr = new XMLHttpRequest();
    xhr.open("GET", leaveTo, true);
    xhr.timeout = 15000;
    xhr.onload = function () { window.location.href = leaveTo; };
    xhr.onerror = xhr.ontimeout = function () { say(timeUp || text("kept"), "warn"); };
    xhr.send();
  }

  /* Send now; if the server cannot be reached, keep it (with its operation id) and send it later. */
  function send(url, fields) {
    if (fields instanceof Array) {
      fields = fields.concat([["csrf", csrf], ["op", opId()]]);
    } else {
      fields.csrf = csrf;
      fields.op = fields.op || opId();
    }
    post(url, fields, function (status, xhr) {
      if (status >= 200 && status < 400) {
        say(text("saved"), "");
        flush();
      } else if (status === 0) {
        var items = readOutbox();
        items.push({url: url, fields: fields});
        writeOutbox(items);
        say(leaveTo && timeUp ? timeUp : text("kept"), "warn");
      } else if (refused(url, xhr)) {
        leave();
      } else {
        say(text("failed") + " (" + status + ")", "bad");
      }
    });
  }

  /* One item at a time, oldest first. An item the server answered is done, whatever it answered:
     a refusal (4xx) is not sent again, and its message stays on screen in place of "all sent". */
  var flushing = false;
  var refusals = 0;
  function flush() {
    var items = readOutbox();
    if (flushing || !items.length) { return; }
    flushing = true;
    var item = items[0];
    post(item.url, item.fields, function (status, xhr) {
      flushing = false;
      if (status === 0) { say(leaveTo && timeUp ? timeUp : text("kept"), "warn"); return; }
      var rest = readOutbox();
      rest.shift();
      writeOutbox(rest);
      if (status >= 400) {
        refusals += 1;
        if (!refused(item.url, xhr)) { say(text("failed") + " (" + status + ")", "bad"); }
      }
      if (rest.length) { flush(); return; }
      if (leaveTo) { window.location.href = leaveTo; return; }
      if (!refusals) { say(text("sent"), ""); }
    });
  }

  function resume() { if (leaveTo) { leave(); } else { flush(); } }
  window.addEventListener("online", resume);
  setInterval(resume, 20000);
  flush();

  /* A quiz question: every change is saved at once (and kept on the device if the server cannot
     be reached); the timer counts down to the server's deadline. */
  var question = document.querySelector("form[data-autosave]");
  if (question) {
    var state = question.querySelector(".saved-state");
    var pairs = function () {
      var out = [];
      var fields = question.elements;
      for (var i = 0; i < fields.length; i++) {
        var f = fields[i];
        if (!f.name || f.name === "csrf" || f.name === "go" || f.type === "submit") { continue; }
        if ((f.type === "radio" || f.type === "checkbox") && !f.checked) { continue; }
        out.push([f.name, f.value]);
      }
      return out;
    };
    var pendingSave = null;
    var saveNow = function () {
      pendingSave = null;
      send(question.getAttribute("action"), pairs());
      if (state) { state.textContent = ""; }
    };
    question.addEventListener("change", saveNow);
    question.addEventListener("input", function () {
      if (pendingSave) { clearTimeout(pendingSave); }
      pendingSave = setTimeout(saveNow, 1500);
    });
  }
  var timer = document.querySelector(".timer[data-seconds]");
  if (timer) {
    var ends = Date.now() + 1000 * parseInt(timer.getAttribute("data-seconds"), 10);
    var label = timer.getAttribute("data-label") || "";
    timeUp = timer.getAttribute("data-time-up") || "";
    var tick = function () {
      var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      var seconds = left % 60;
      timer.textContent = label + " " + Math.floor(left / 60) + ":" + (seconds < 10 ? "0" : "") + seconds;
      if (left === 0 && question) {  /* to the review, once what is kept here is sent (offline, stay) */
        leaveTo = leaveTo || question.getAttribute("action").replace(/\/questions\/\d+$/, "/review");
        leave();
        return;
      }
      setTimeout(tick, 1000);
    };
    tick();
  }

  /* An assignment hand-in: a file's type and size are checked before sending, a bar shows progress,
     and a dropped connection is retried with the same file or answer and the same operation id
     (one submission). */
  var upload = document.querySelector("form.upload");
  if (upload && window.FormData) {
    var status = upload.querySelector(".upload-state");
    var bar = upload.querySelector("progress");
    var note = function (key, extra) { status.textContent = status.getAttribute("data-" + key) + (extra || ""); };
    upload.addEventListener("submit", function (event) {
      var input = upload.querySelector("input[type=file]");
      var answer = upload.querySelector("textarea[name=text]");
      var file = input && input.files && input.files[0];
      var written = answer && /\S/.test(answer.value);
      if (!file && !written) { event.preventDefault(); note("empty"); return; }
      if (file) {
        var types = upload.getAttribute("data-types").split(",");
        var name = file.name.toLowerCase();
        var fits = false;
        for (var t = 0; t < types.length; t++) {
          if (name.slice(-types[t].length) === types[t]) { fits = true; }
        }
        if (!fits) { event.preventDefault(); note("wrong-type"); return; }
        if (file.size > parseInt(upload.getAttribute("data-max-bytes"), 10)) { event.preventDefault(); note("too-big"); return; }
      }
      event.preventDefault();
      var data = new FormData(upload);
      var tries = 0;
      var go = function () {
        tries += 1;
        var xhr = new XMLHttpRequest();
        xhr.open("POST", upload.getAttribute("action"), true);
        bar.hidden = false;
        xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); } };
        xhr.onload = function () {
          if (xhr.status >= 200 && xhr.status < 400) { window.location.href = xhr.responseURL || window.location.href; return; }
          var doc = document.createElement("div");
          doc.innerHTML = xhr.responseText;
          var detail = doc.querySelector("main p");
          note("failed", " " + (detail ? detail.textContent : xhr.status));
        };
        xhr.onerror = xhr.ontimeout = function () {
          if (tries < 20) { note(file ? "retrying" : "retrying-answer"); setTimeout(go, Math.min(30000, 1000 * tries)); } else { note("failed"); }
        };
        note("sending");
        xhr.send(data);
      };
      go();
    });
  }

  /* The join card's print button. */
  var printButton = document.querySelector("[data-print]");
  if (printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  }

  /* The PIN keypad: large keys that type into the PIN field. */
  var keypad = document.querySelector(".keypad");
  var secret = document.getElementById("secret");
  if (keypad && secret) {
    keypad.hidden = false;
    keypad.addEventListener("click", function (event) {
      var key = event.target.getAttribute && event.target.getAttribute("data-key");
      if (!key) { return; }
      secret.value = key === "back" ? secret.value.slice(0, -1) : secret.value + key;
    });
  }

  /* Name suggestions while typing. */
  var nameField = document.getElementById("name");
  var list = document.getElementById("name-suggestions");
  var form = document.querySelector("form.signin");
  if (nameField && list && form) {
    var pending = null;
    nameField.addEventListener("input", function () {
      if (pending) { clearTimeout(pending); }
      pending = setTimeout(function () {
        var xhr = new XMLHttpRequest();
        xhr.open("GET", "/signin/names?" + encode({org: form.getAttribute("data-org"), q: nameField.value}), true);
        xhr.onload = function () {
          if (xhr.status !== 200) { return; }
          var names = JSON.parse(xhr.responseText);
          list.innerHTML = "";
          for (var i = 0; i < names.length; i++) {
            var option = document.createElement("option");
            option.value = names[i];
            list.appendChild(option);
          }
        };
        xhr.send();
      }, 200);
    });
  }

  /* Video: resume where the learner stopped, save the position as they watch, on pause and on leaving. */
  var video = document.querySelector("video[data-lesson]");
  if (video) {
    var lesson = video.getAttribute("data-lesson");
    var start = parseFloat(video.getAttribute("data-position") || "0");
    var counted = 0;
    var lastTick = null;
    video.addEventListener("loadedmetadata", function () {
      if (start > 0 && start < (video.duration || Infinity) - 1) { video.currentTime = start; }
    });
    video.addEventListener("timeupdate", function () {
      var now = Date.now();
      if (lastTick !== null && !video.paused) { counted += Math.min(now - lastTick, 2000) / 1000; }
      lastTick = now;
    });
    var save = function (complete) {
      var spent = Math.round(counted);
      counted -= spent;
      send("/lessons/" + lesson + "/position", {position: Math.floor(video.currentTime),
        time_spent_seconds: spent, complete: complete ? "1" : "0"});
    };
    setInterval(function () { if (!video.paused) { save(false); } }, 10000);
    video.addEventListener("pause", function () { lastTick = null; save(false); });
    video.addEventListener("ended", function () { save(true); });
    window.addEventListener("pagehide", function () {
      if (!video.paused && navigator.sendBeacon) {
        var body = encode({csrf: csrf, op: opId(), position: Math.floor(video.currentTime),
          time_spent_seconds: Math.round(counted), complete: "0"});
        navigator.sendBeacon("/lessons/" + lesson + "/position",
          new Blob([body], {type: "application/x-www-form-urlencoded"}));
      }
    });
  }
}());
