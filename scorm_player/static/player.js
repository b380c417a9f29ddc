/*
 * The SCORM player page: a frame for the SCO (same origin, so the SCO finds the API object on
 * this window through window.parent), a table of contents for packages of several SCOs, previous /
 * next, and exit.
 *
 * Opening an item: the SCO shown before is unloaded first (its unload handler usually calls
 * Terminate / LMSFinish on its own API object), what it stored is delivered, then the server opens
 * a session for the new item (resume or a new attempt) and the page installs a fresh API object
 * with that data before the SCO loads. After Terminate, SCORM 2004 navigation requests
 * (continue, previous, {target=..}choice / jump, exitAll, suspendAll, ...) are carried out.
 * When the page is hidden or closed, unsent data leaves with navigator.sendBeacon.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("scorm-config").textContent);
  var rules = window.SCORM_RULES[config.version];
  var Runtime = window.ScormRuntime;
  var items = config.items;
  var launchable = items.filter(function (item) { return item.launchable; });
  var current = null; // {id, api, channel}
  var busy = false;
  var closed = false;
  var LEAVE_TIMEOUT_MS = 5000;

  function $(id) {
    return document.getElementById(id);
  }

  function showStatus(text) {
    $("status").textContent = text || "";
  }

  function showMessage(html) {
    var box = $("message");
    box.innerHTML = html;
    box.hidden = false;
  }

  function hideMessage() {
    $("message").hidden = true;
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function indexOf(id) {
    for (var i = 0; i < launchable.length; i++) {
      if (launchable[i].id === id) {
        return i;
      }
    }
    return -1;
  }

  function byId(id) {
    for (var i = 0; i < items.length; i++) {
      if (items[i].id === id) {
        return items[i];
      }
    }
    return null;
  }

  // -- the package's navigation rules -----------------------------------------------------------

  function done(id) {
    var item = byId(id);
    return !!item && (item.status === "completed" || item.status === "passed");
  }

  // SCORM 1.2 adlcp:prerequisites: an AICC script of item identifiers joined by & (and), | (or),
  // ~ (not) and parentheses; an identifier holds when that item is completed or passed. A script
  // this player cannot read holds (it never locks a learner out).
  function prerequisitesMet(script) {
    if (!script) {
      return true;
    }
    var tokens = script.match(/[&|~()]|[^\s&|~()]+/g) || [];
    var at = 0;
    function primary() {
      var token = tokens[at++];
      if (token === "~") {
        return !primary();
      }
      if (token === "(") {
        var value = disjunction();
        if (tokens[at++] !== ")") {
          throw new Error("unbalanced");
        }
        return value;
      }
      if (token === undefined || /^[&|)]$/.test(token)) {
        throw new Error("unexpected");
      }
      return done(token);
    }
    function conjunction() {
      var value = primary();
      while (tokens[at] === "&") {
        at++;
        value = primary() && value;
      }
      return value;
    }
    function disjunction() {
      var value = conjunction();
      while (tokens[at] === "|") {
        at++;
        value = conjunction() || value;
      }
      return value;
    }
    try {
      var met = disjunction();
      return at === tokens.length ? met : true;
    } catch (e) {
      return true;
    }
  }

  // Why the learner cannot open `item` by `how` ("choice": the table of contents; "flow":
  // previous/next), or "" when they can.
  function blocked(item, how) {
    if (how === "choice" && item.choice === false) {
      return "Reached in order, with Next";
    }
    if (how === "flow" && item.flow === false) {
      return "Chosen from the contents";
    }
    if (!prerequisitesMet(item.prerequisites)) {
      return "Complete the parts before it first";
    }
    return "";
  }

  function narrow() {
    return window.matchMedia ? window.matchMedia("(max-width: 40rem)").matches : false;
  }

  function showToc(shown) {
    $("toc").hidden = !shown;
    $("toc-toggle").setAttribute("aria-expanded", shown ? "true" : "false");
  }

  // -- table of contents ----------------------------------------------------------------------

  function buildToc() {
    var list = $("toc-list");
    items.forEach(function (item) {
      if (item.hidden) {
        return;
      }
      var li = document.createElement("li");
      li.style.paddingLeft = (item.depth * 0.9) + "rem";
      if (item.launchable) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "entry";
        button.setAttribute("data-item", item.id);
        button.innerHTML = '<span class="mark"></span>' + escapeHtml(item.title) + '<span class="why"></span>';
        button.addEventListener("click", function () {
          if (narrow()) {
            showToc(false);
          }
          openItem(item.id, "choice");
        });
        li.appendChild(button);
      } else {
        var heading = document.createElement("span");
        heading.className = "heading";
        heading.textContent = item.title;
        li.appendChild(heading);
      }
      list.appendChild(li);
    });
    items.forEach(function (item) { mark(item.id, item.status); });
    if (launchable.length > 1) {
      showToc(!narrow()); // on a phone the contents would cover the lesson: they open from the button
      $("toc-toggle").hidden = false;
      var flows = launchable.some(function (item) { return item.flow !== false; });
      $("previous").hidden = !flows;
      $("next").hidden = !flows;
    }
  }

  // Entries the learner cannot choose now are shown, disabled, with the reason.
  function refreshToc() {
    launchable.forEach(function (item) {
      var button = document.querySelector('#toc [data-item="' + cssEscape(item.id) + '"]');
      if (!button) {
        return;
      }
      var why = blocked(item, "choice");
      button.disabled = !!why;
      button.querySelector(".why").textContent = why ? " (" + why + ")" : "";
    });
    if (current) {
      highlight(current.id);
    }
  }

  function mark(id, state) {
    var item = byId(id);
    if (item) {
      item.status = state;
    }
    var button = document.querySelector('#toc [data-item="' + cssEscape(id) + '"]');
    if (!button) {
      return;
    }
    button.parentNode.className = state === "failed" ? "failed" : "";
    button.querySelector(".mark").textContent = state === "completed" ? "\u2713" : state === "failed" ? "\u2717" : "";
    button.title = state;
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : text.replace(/["\\]/g, "\\$&");
  }

  function highlight(id) {
    var buttons = document.querySelectorAll("#toc .entry");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-current", buttons[i].getAttribute("data-item") === id ? "true" : "false");
    }
    $("previous").disabled = !neighbour(id, -1);
    $("next").disabled = !neighbour(id, 1);
  }

  // The item previous/next leads to from `id`, if the package's rules let the learner go there.
  function neighbour(id, direction) {
    var position = indexOf(id);
    var here = launchable[position];
    var there = launchable[position + direction];
    return here && there && here.flow !== false && !blocked(there, "flow") ? there : null;
  }

  // -- server calls ----------------------------------------------------------------------------

  function post(url, body) {
    return fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
                       credentials: "same-origin"}).then(function (response) {
      return response.json().then(function (doc) {
        if (!response.ok) {
          var error = doc.errors && doc.errors[0];
          throw new Error(error ? error.detail : "HTTP " + response.status);
        }
        return doc;
      });
    });
  }

  // -- moving between items ------------------------------------------------------------------------

  function unloadFrame() {
    return new Promise(function (resolve) {
      var frame = $("sco");
      var src = frame.getAttribute("src");
      if (!src || src === "about:blank") {
        resolve();
        return;
      }
      var done = false;
      var finish = function () {
        if (!done) {
          done = true;
          resolve();
        }
      };
      frame.addEventListener("load", finish, {once: true});
      setTimeout(finish, LEAVE_TIMEOUT_MS);
      frame.setAttribute("src", "about:blank"); // the SCO's unload handlers run now
    });
  }

  // Unload the current SCO and deliver what it stored. A SCO that never called Terminate keeps
  // its attempt open: the next launch resumes it.
  function leave() {
    var previous = current;
    current = null;
    return unloadFrame().then(function () {
      if (!previous || !previous.channel) {
        return null;
      }
      previous.channel.take(previous.api.engine);
      previous.channel.flush();
      var timeout = new Promise(function (resolve) { setTimeout(resolve, LEAVE_TIMEOUT_MS); });
      return Promise.race([previous.channel.idle(), timeout]).then(function () {
        previous.channel.close();
      });
    });
  }

  function install(api) {
    if (config.version === "1.2") {
      window.API = api;
      try { delete window.API_1484_11; } catch (e) { window.API_1484_11 = undefined; }
    } else {
      window.API_1484_11 = api;
      try { delete window.API; } catch (e) { window.API = undefined; }
    }
  }

  // Open an item; `how` ("choice" or "flow") is checked against the package's rules.
  function openItem(id, how) {
    if (busy || closed || indexOf(id) < 0 || (how && blocked(launchable[indexOf(id)], how))) {
      return Promise.resolve();
    }
    busy = true;
    showStatus("Loading\u2026");
    return leave().then(function () {
      return post(config.sessions_url, {item_id: id});
    }).then(function (doc) {
      start(doc.data);
      showStatus("");
    }, function (error) {
      showStatus("");
      showMessage("<p>This part of the lesson could not be opened.</p><p>" + escapeHtml(error.message) + "</p>");
    }).then(function () {
      busy = false;
    });
  }

  function start(session) {
    hideMessage();
    var entry = {id: session.item_id, api: null, channel: null};
    if (!session.asset) {
      var channel = new Runtime.Channel({
        url: session.commit_url,
        sessionId: session.session_id,
        onError: function (message) { showStatus("Not saved: " + message); },
        onAck: function (result) {
          if (result.completion_status === "completed" || result.success_status === "passed") {
            mark(session.item_id, result.success_status === "failed" ? "failed" : "completed");
            refreshToc();
          }
        },
        onStatus: function (state) {
          showStatus(state === "offline" ? "Offline \u2013 your work will be saved when the connection returns" : "");
        }
      });
      var api = Runtime.createApi(rules, {
        values: session.values,
        navigation: session.navigation,
        channel: channel,
        onTerminate: function (request) {
          if (current && current.api === api) {
            navigate(request);
          }
        }
      });
      entry.api = api;
      entry.channel = channel;
      install(api);
    } else {
      mark(session.item_id, "completed");
    }
    current = entry;
    refreshToc();
    $("sco").setAttribute("src", session.launch_url);
  }

  // What a SCORM 2004 SCO asked for when it terminated.
  function navigate(request) {
    var target = /^\{target=(.+)\}(choice|jump)$/.exec(request);
    if (target) {
      openItem(target[1], target[2] === "choice" ? "choice" : null);
    } else if (request === "continue") {
      step(1);
    } else if (request === "previous") {
      step(-1);
    } else if (request === "exitAll" || request === "suspendAll" || request === "abandonAll" ||
               ((request === "exit" || request === "abandon") && launchable.length === 1)) {
      finish();
    }
  }

  function step(direction) {
    var next = current ? neighbour(current.id, direction) : null;
    if (next) {
      openItem(next.id);
    }
  }

  function finish() {
    if (closed) {
      return;
    }
    busy = true;
    leave().then(function () {
      closed = true;
      install(undefined);
      $("previous").disabled = true;
      $("next").disabled = true;
      $("exit").disabled = true;
      if (config.return_url) {
        // Inside a learner page (same origin) the whole page goes back, not just this frame.
        var top = window;
        try {
          top = window.top && window.top.location.host === window.location.host ? window.top : window;
        } catch (e) {
          top = window;
        }
        top.location.assign(config.return_url);
        return;
      }
      showMessage("<h2>You have left the lesson</h2><p>Your progress is saved. You can close this page.</p>");
    });
  }

  // The page is being hidden or closed: hand unsent data to the browser.
  function rescue() {
    if (current && current.channel) {
      current.channel.take(current.api.engine);
      current.channel.beacon();
    }
  }

  window.addEventListener("pagehide", rescue);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      rescue();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    buildToc();
    $("previous").addEventListener("click", function () { step(-1); });
    $("next").addEventListener("click", function () { step(1); });
    $("exit").addEventListener("click", finish);
    $("toc-toggle").addEventListener("click", function () { showToc($("toc").hidden); });
    if (!config.start) {
      showMessage("<p>This package has nothing to launch.</p>");
      return;
    }
    // Commits a previous visit could not deliver go first: the session about to open reads what they change.
    Runtime.flushStored().then(function () {
      openItem(config.start);
    });
  });

  // For tests and for embedding pages: where the player is.
  window.ScormPlayer = {
    current: function () { return current ? current.id : null; },
    open: openItem,
    next: function () { step(1); },
    previous: function () { step(-1); },
    exit: finish,
    idle: function () { return current && current.channel ? current.channel.idle() : Promise.resolve(true); }
  };
})();
