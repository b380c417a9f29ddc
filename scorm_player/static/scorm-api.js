/*
 * The SCORM run-time API objects (window.API for SCORM 1.2, window.API_1484_11 for SCORM 2004)
 * and the channel that carries a SCO's data to the server.
 *
 * Engine is a line-by-line port of scorm_player/cmi/api.py, driven by the rules the server
 * generates from its Python data model (cmi-rules.js): every call answers, and every error code
 * is set, exactly as the server's own check of the commit will judge it. The test suite replays
 * the same call sequences through both and compares them.
 *
 * Channel batches what the SCO stored into numbered commits. A commit is sent on Commit and
 * Terminate, every 30 seconds while there is unsent data, and with navigator.sendBeacon when the
 * page is hidden or closed. It is kept (in memory and in localStorage) until the server
 * acknowledges its number, and re-sent until then; the server applies each number once, so a
 * commit retried after a dropped connection is applied once.
 *
 * No dependencies; runs in old browsers (ES5) and in node (for tests).
 */
(function (root, factory) {
  var runtime = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = runtime;
  } else {
    root.ScormRuntime = runtime;
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var NOT_INITIALIZED = "not initialized", RUNNING = "running", TERMINATED = "terminated";
  var INDEX = /^(?:0|[1-9][0-9]*)$/;
  var TARGET = /^\{target=([^\x00-\x20{}]+)\}$/;
  var OPTION = /^\{(case_matters|order_matters)=(true|false)\}/;
  var DIAGNOSTIC_LIMIT = 255;
  var METHODS = {
    "1.2": ["LMSInitialize", "LMSFinish", "LMSGetValue", "LMSSetValue", "LMSCommit", "LMSGetLastError",
            "LMSGetErrorString", "LMSGetDiagnostic"],
    "2004": ["Initialize", "Terminate", "GetValue", "SetValue", "Commit", "GetLastError", "GetErrorString",
             "GetDiagnostic"]
  };
  var compiled = {};

  function matches(pattern, value) {
    var re = compiled[pattern];
    if (!re) {
      re = compiled[pattern] = new RegExp("^(?:" + pattern + ")$");
    }
    return re.test(value);
  }

  // Characters as SCORM counts them: code points, as Python's len() does.
  function length(value) {
    var pairs = value.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g);
    return value.length - (pairs ? pairs.length : 0);
  }

  function has(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  function CmiError(kind, diagnostic) {
    this.kind = kind;
    this.diagnostic = diagnostic;
  }

  function text(value) {
    return String(value);
  }

  function code(value) {
    return INDEX.test(value) ? parseInt(value, 10) : null;
  }

  function concrete(pattern, indices) {
    var parts = pattern.split("."), out = [], next = 0;
    for (var i = 0; i < parts.length; i++) {
      out.push(parts[i] === "n" ? String(indices[next++]) : parts[i]);
    }
    return out.join(".");
  }

  function localizedText(rules, value) {
    if (value.indexOf("{lang=") !== 0) {
      return value;
    }
    var end = value.indexOf("}");
    if (end < 0 || end === 6 || !matches(rules.types.language.pattern, value.slice(6, end))) {
      return null;
    }
    return value.slice(end + 1);
  }

  function checkItem(rules, item, value) {
    var size;
    if (item.localized) {
      var body = localizedText(rules, value);
      if (body === null) {
        return false;
      }
      size = length(body);
    } else {
      size = length(value);
    }
    if (item.max !== undefined && item.max !== null && size > item.max) {
      return false;
    }
    if (item.pattern !== undefined && item.pattern !== null && !matches(item.pattern, value)) {
      return false;
    }
    if (item.not !== undefined && item.not !== null && matches(item.not, value)) {
      return false;
    }
    return true;
  }

  function checkResponse(rules, interactionType, field, value) {
    var spec = rules.responses[interactionType][field];
    var allowed = spec.options || [], seen = {}, option, items, i;
    while (value.charAt(0) === "{") {
      option = OPTION.exec(value);
      if (!option || allowed.indexOf(option[1]) < 0 || seen[option[1]]) {
        break;
      }
      seen[option[1]] = true;
      value = value.slice(option[0].length);
    }
    if (spec.list) {
      if (value === "") {
        return !!spec.empty;
      }
      items = value.split("[,]");
    } else {
      items = [value];
    }
    if (spec.unique) {
      var distinct = {};
      for (i = 0; i < items.length; i++) {
        if (has(distinct, items[i])) {
          return false;
        }
        distinct[items[i]] = true;
      }
    }
    for (i = 0; i < items.length; i++) {
      if (!checkItem(rules, spec.item, items[i])) {
        return false;
      }
    }
    return true;
  }

  function formatBound(value) {
    return value === undefined || value === null ? "any" : String(value);
  }

  // -- the engine (see api.py) ---------------------------------------------------------------

  function Engine(rules, values, navigation) {
    this.rules = rules;
    this.version = rules.version;
    this.values = {};
    this.navigation = navigation || {};
    this.state = NOT_INITIALIZED;
    this.lastError = 0;
    this.diagnostic = "";
    this.changes = [];
    this.counts = {};
    for (var key in values || {}) {
      if (has(values, key)) {
        this.values[key] = String(values[key]);
        this.countRecords(key);
      }
    }
  }

  Engine.prototype.call = function (method) {
    var names = METHODS[this.version];
    var handlers = [this.initialize, this.terminate, this.getValue, this.setValue, this.commit,
                    this.getLastError, this.getErrorString, this.getDiagnostic];
    var args = [];
    for (var i = 1; i < arguments.length; i++) {
      args.push(text(arguments[i]));
    }
    for (var j = 0; j < names.length; j++) {
      if (names[j] === method) {
        return handlers[j].apply(this, args);
      }
    }
    throw new Error("SCORM " + this.version + " has no API function " + method);
  };

  Engine.prototype.initialize = function (argument) {
    argument = argument === undefined ? "" : argument;
    if (this.state === RUNNING) {
      return this.fail("already_initialized", "The API is already initialized.");
    }
    if (this.state === TERMINATED) {
      return this.fail("initialize_after_terminate", "The session has ended; it cannot be initialized again.");
    }
    if (argument !== "") {
      return this.fail("argument", "The argument must be an empty string.");
    }
    this.state = RUNNING;
    return this.ok("true");
  };

  Engine.prototype.terminate = function (argument) {
    argument = argument === undefined ? "" : argument;
    if (this.state === NOT_INITIALIZED) {
      return this.fail("terminate_before_initialize", "The API was never initialized.");
    }
    if (this.state === TERMINATED) {
      return this.fail("terminate_after_terminate", "The API was already terminated.");
    }
    if (argument !== "") {
      return this.fail("argument", "The argument must be an empty string.");
    }
    this.state = TERMINATED;
    return this.ok("true");
  };

  Engine.prototype.commit = function (argument) {
    argument = argument === undefined ? "" : argument;
    if (this.state === NOT_INITIALIZED) {
      return this.fail("commit_before_initialize", "The API is not initialized.");
    }
    if (this.state === TERMINATED) {
      return this.fail("commit_after_terminate", "The API was terminated.");
    }
    if (argument !== "") {
      return this.fail("argument", "The argument must be an empty string.");
    }
    return this.ok("true");
  };

  Engine.prototype.getValue = function (element) {
    if (this.state === NOT_INITIALIZED) {
      return this.fail("get_before_initialize", "The API is not initialized.", "");
    }
    if (this.state === TERMINATED) {
      return this.fail("get_after_terminate", "The API was terminated.", "");
    }
    try {
      return this.ok(this.get(element));
    } catch (err) {
      if (!(err instanceof CmiError)) {
        throw err;
      }
      return this.fail(err.kind, err.diagnostic, "");
    }
  };

  Engine.prototype.setValue = function (element, value) {
    if (this.state === NOT_INITIALIZED) {
      return this.fail("set_before_initialize", "The API is not initialized.");
    }
    if (this.state === TERMINATED) {
      return this.fail("set_after_terminate", "The API was terminated.");
    }
    try {
      this.set(element, value);
    } catch (err) {
      if (!(err instanceof CmiError)) {
        throw err;
      }
      return this.fail(err.kind, err.diagnostic);
    }
    this.changes.push([element, value]);
    return this.ok("true");
  };

  Engine.prototype.getLastError = function () {
    return String(this.lastError);
  };

  Engine.prototype.getErrorString = function (value) {
    var number = code(value);
    return number !== null && has(this.rules.errors, String(number)) ? this.rules.errors[String(number)] : "";
  };

  Engine.prototype.getDiagnostic = function (value) {
    value = value === undefined ? "" : value;
    var result;
    if (value === "" || code(value) === this.lastError) {
      result = this.diagnostic || this.rules.errors[String(this.lastError)];
    } else {
      result = this.getErrorString(value);
    }
    return result.slice(0, DIAGNOSTIC_LIMIT);
  };

  Engine.prototype.ok = function (result) {
    this.lastError = 0;
    this.diagnostic = "";
    return result;
  };

  Engine.prototype.fail = function (kind, diagnostic, result) {
    this.lastError = this.rules.codes[kind];
    this.diagnostic = diagnostic;
    return result === undefined ? "false" : result;
  };

  Engine.prototype.get = function (element) {
    var rules = this.rules;
    if (element === "") {
      throw new CmiError("get_empty", "GetValue needs a data model element.");
    }
    var nav = this.navigationTarget(element);
    if (nav) {
      var targets = this.navigation[nav[0]];
      if (targets === undefined || targets === null) {
        return "unknown";
      }
      return targets.indexOf(nav[1]) >= 0 ? "true" : "false";
    }
    var path = this.resolve(element);
    if (path.keyword === "_children") {
      var children = has(rules.groups, path.pattern) ? rules.groups[path.pattern] : null;
      var collection = has(rules.collections, path.pattern) ? rules.collections[path.pattern] : null;
      if (collection && collection.children !== null) {
        children = collection.children;
      }
      if (children === null) {
        if (has(rules.elements, path.pattern) || collection) {
          throw new CmiError("no_children", path.pattern + " has no children.");
        }
        throw new CmiError("undefined", element + " is not a data model element.");
      }
      this.checkRecords(path, element);
      return children;
    }
    if (path.keyword === "_count") {
      if (!has(rules.collections, path.pattern)) {
        if (has(rules.elements, path.pattern) || has(rules.groups, path.pattern)) {
          throw new CmiError("no_count", path.pattern + " is not a collection.");
        }
        throw new CmiError("undefined", element + " is not a data model element.");
      }
      this.checkRecords(path, element);
      return String(this.counts[path.concrete] || 0);
    }
    if (!has(rules.elements, path.pattern)) {
      throw new CmiError("undefined", element + " is not a data model element.");
    }
    var definition = rules.elements[path.pattern];
    if (definition.access === "wo") {
      throw new CmiError("write_only", element + " is write-only.");
    }
    this.checkRecords(path, element);
    if (this.version === "2004" && (path.concrete === "cmi.completion_status" ||
                                    path.concrete === "cmi.success_status")) {
      return this.evaluatedStatus(path.concrete);
    }
    var value = has(this.values, path.concrete) ? this.values[path.concrete] : definition["default"];
    if (value === null || value === undefined) {
      throw new CmiError("not_initialized", element + " has not been set.");
    }
    return value;
  };

  Engine.prototype.set = function (element, value) {
    var rules = this.rules;
    if (element === "") {
      throw new CmiError("set_empty", "SetValue needs a data model element.");
    }
    if (this.navigationTarget(element)) {
      throw new CmiError("read_only", element + " is read-only.");
    }
    var path = this.resolve(element);
    if (path.keyword !== null) {
      if (has(rules.collections, path.pattern) || has(rules.groups, path.pattern) ||
          has(rules.elements, path.pattern)) {
        throw new CmiError("set_keyword", path.keyword + " is a keyword; it cannot be set.");
      }
      throw new CmiError("undefined", element + " is not a data model element.");
    }
    if (!has(rules.elements, path.pattern)) {
      throw new CmiError("undefined", element + " is not a data model element.");
    }
    var definition = rules.elements[path.pattern];
    if (definition.keyword) {
      throw new CmiError("set_keyword", element + " is a keyword; it cannot be set.");
    }
    if (definition.access === "ro") {
      throw new CmiError("read_only", element + " is read-only.");
    }
    var created = this.newRecords(path, element);
    var indices = [];
    for (var i = 0; i < path.levels.length; i++) {
      indices.push(path.levels[i][2]);
    }
    if (definition.requires) {
      var required = concrete(definition.requires, indices);
      if (!has(this.values, required)) {
        throw new CmiError("dependency", required + " must be set before " + element + ".");
      }
    }
    this.validate(definition, value, path, indices, created.length > 0);
    if (definition.unique) {
      this.checkUnique(value, path, element);
    }
    for (var j = 0; j < created.length; j++) {
      this.counts[created[j]] = (this.counts[created[j]] || 0) + 1;
    }
    this.values[path.concrete] = value;
  };

  Engine.prototype.navigationTarget = function (element) {
    if (this.version !== "2004") {
      return null;
    }
    var kinds = ["choice", "jump"];
    for (var i = 0; i < kinds.length; i++) {
      var prefix = "adl.nav.request_valid." + kinds[i] + ".";
      if (element.indexOf(prefix) === 0) {
        var match = TARGET.exec(element.slice(prefix.length));
        if (!match) {
          throw new CmiError("undefined", element + " is not a data model element.");
        }
        return [kinds[i], match[1]];
      }
    }
    return null;
  };

  Engine.prototype.resolve = function (element) {
    var parts = element.split("."), pattern = [], concreteParts = [], levels = [];
    for (var position = 0; position < parts.length; position++) {
      var part = parts[position], base = pattern.join(".");
      if (position > 0 && position === parts.length - 1 && (part === "_children" || part === "_count")) {
        return {pattern: base, concrete: concreteParts.join("."), levels: levels, keyword: part};
      }
      if (position > 0 && has(this.rules.collections, base)) {
        if (!INDEX.test(part)) {
          throw new CmiError("undefined", element + " is not a data model element.");
        }
        levels.push([base, concreteParts.join("."), parseInt(part, 10)]);
        pattern.push("n");
      } else {
        pattern.push(part);
      }
      concreteParts.push(part);
    }
    return {pattern: pattern.join("."), concrete: concreteParts.join("."), levels: levels, keyword: null};
  };

  Engine.prototype.checkRecords = function (path, element) {
    for (var i = 0; i < path.levels.length; i++) {
      var collection = path.levels[i][1], index = path.levels[i][2];
      if (index >= (this.counts[collection] || 0)) {
        throw new CmiError("get_index", element + ": there is no record " + index + " in " + collection + ".");
      }
    }
  };

  Engine.prototype.newRecords = function (path, element) {
    var created = [];
    for (var depth = 0; depth < path.levels.length; depth++) {
      var pattern = path.levels[depth][0], collection = path.levels[depth][1], index = path.levels[depth][2];
      var count = this.counts[collection] || 0;
      if (index < count) {
        continue;
      }
      var definition = this.rules.collections[pattern];
      if (index > count || !definition.appendable) {
        throw new CmiError("set_index", element + ": records of " + collection + " are numbered 0 to " + count +
                           " (the next); " + index + " is out of range.");
      }
      if (this.version === "2004") {
        var leaf = path.pattern.slice(pattern.length + 3);
        var innermost = depth === path.levels.length - 1;
        if (!innermost || (definition.key !== null && leaf !== definition.key)) {
          throw new CmiError("dependency", collection + "." + index + "." + (innermost ? definition.key : "…") +
                             " must be set before " + element + ".");
        }
      }
      created.push(collection);
    }
    return created;
  };

  Engine.prototype.validate = function (el, value, path, indices, newRecord) {
    var spec = this.rules.types[el.type];
    var kind = spec.kind;
    var limit = spec.max !== undefined ? spec.max : el.spm;
    var mismatch = new CmiError("type_mismatch", JSON.stringify(value.slice(0, 80)) + " is not a valid " + el.type +
                                " value for " + path.concrete + ".");
    var tooLong = new CmiError("type_mismatch", path.concrete + " holds at most " + limit + " characters.");
    var vocabulary = el.vocabulary || [];
    if (kind === "text") {
      if (limit !== undefined && limit !== null && length(value) > limit) {
        throw tooLong;
      }
    } else if (kind === "regex") {
      if (!matches(spec.pattern, value)) {
        throw mismatch;
      }
      if (limit !== undefined && limit !== null && length(value) > limit) {
        throw tooLong;
      }
    } else if (kind === "number") {
      if (spec.blank && value === "") {
        return;
      }
      if (!matches(spec.pattern, value)) {
        throw mismatch;
      }
      var number = parseFloat(value);
      if ((el.minimum !== undefined && number < el.minimum) || (el.maximum !== undefined && number > el.maximum)) {
        throw new CmiError("out_of_range", path.concrete + " must be between " + formatBound(el.minimum) + " and " +
                           formatBound(el.maximum) + ".");
      }
    } else if (kind === "vocabulary") {
      if (vocabulary.indexOf(value) < 0) {
        throw mismatch;
      }
    } else if (kind === "vocabulary_or_number" || kind === "nav_request") {
      if (vocabulary.indexOf(value) < 0 && !matches(spec.pattern, value)) {
        throw mismatch;
      }
    } else if (kind === "localized") {
      var body = localizedText(this.rules, value);
      if (body === null) {
        throw mismatch;
      }
      if (limit !== undefined && limit !== null && length(body) > limit) {
        throw tooLong;
      }
    } else if (kind === "response") {
      var interactionType = this.values[concrete("cmi.interactions.n.type", indices)];
      var response = this.rules.responses[interactionType];
      if (spec.field === "pattern" && newRecord && response.max_patterns !== undefined &&
          indices[indices.length - 1] >= response.max_patterns) {
        throw new CmiError("set_failure", "A " + interactionType + " interaction has at most " +
                           response.max_patterns + " correct response(s).");
      }
      if (!checkResponse(this.rules, interactionType, spec.field, value)) {
        throw new CmiError("type_mismatch", JSON.stringify(value.slice(0, 80)) + " is not a valid " + spec.field +
                           " for a " + interactionType + " interaction.");
      }
    } else {
      throw new Error("unknown type kind " + kind);
    }
  };

  Engine.prototype.checkUnique = function (value, path, element) {
    var current = has(this.values, path.concrete) ? this.values[path.concrete] : null;
    if (current !== null && current !== value) {
      throw new CmiError("set_failure", element + " is already " + JSON.stringify(current) +
                         "; an identifier cannot change.");
    }
    var level = path.levels[path.levels.length - 1], collection = level[1], own = level[2];
    var leaf = path.pattern.slice(path.pattern.lastIndexOf(".n.") + 3);
    var count = this.counts[collection] || 0;
    for (var index = 0; index < count; index++) {
      var key = collection + "." + index + "." + leaf;
      if (index !== own && has(this.values, key) && this.values[key] === value) {
        throw new CmiError("set_failure", JSON.stringify(value) + " is already the identifier of " + collection +
                           "." + index + ".");
      }
    }
  };

  Engine.prototype.evaluatedStatus = function (element) {
    var values = this.values;
    if (element === "cmi.completion_status") {
      if (has(values, "cmi.completion_threshold")) {
        if (!has(values, "cmi.progress_measure")) {
          return "unknown";
        }
        return parseFloat(values["cmi.progress_measure"]) >= parseFloat(values["cmi.completion_threshold"]) ?
          "completed" : "incomplete";
      }
      return has(values, element) ? values[element] : "unknown";
    }
    if (has(values, "cmi.scaled_passing_score")) {
      if (!has(values, "cmi.score.scaled")) {
        return "unknown";
      }
      return parseFloat(values["cmi.score.scaled"]) >= parseFloat(values["cmi.scaled_passing_score"]) ?
        "passed" : "failed";
    }
    return has(values, element) ? values[element] : "unknown";
  };

  Engine.prototype.countRecords = function (key) {
    var parts = key.split("."), pattern = [];
    for (var position = 0; position < parts.length; position++) {
      var base = pattern.join(".");
      if (position > 0 && has(this.rules.collections, base) && INDEX.test(parts[position])) {
        var collection = parts.slice(0, position).join(".");
        this.counts[collection] = Math.max(this.counts[collection] || 0, parseInt(parts[position], 10) + 1);
        pattern.push("n");
      } else {
        pattern.push(parts[position]);
      }
    }
  };

  // -- the channel: commits to the server ------------------------------------------------------

  var STORAGE_PREFIX = "scorm-pending:";
  var BEACON_LIMIT = 60000; // bytes; browsers refuse larger beacons and keepalive requests
  var AUTOSAVE_MS = 30000;

  function storage() {
    try {
      return typeof localStorage !== "undefined" ? localStorage : null;
    } catch (e) {
      return null; // storage disabled
    }
  }

  function bytes(body) {
    return typeof Blob !== "undefined" ? new Blob([body]).size : body.length * 3;
  }

  /*
   * options: url (the session's commit URL), sessionId, firstSeq (default 1),
   * onError(message) for commits the server refused, onAck(result) after each acknowledgement,
   * onStatus("saving" | "saved" | "offline").
   */
  function Channel(options) {
    this.url = options.url;
    this.key = STORAGE_PREFIX + options.sessionId;
    this.nextSeq = options.firstSeq || 1;
    this.pending = [];   // commits not yet acknowledged, oldest first
    this.buffer = [];    // SetValue calls not yet in a commit
    this.inFlight = false;
    this.again = false;
    this.failed = null;  // why the server refused data, once it has
    this.retryMs = 1000;
    this.retryTimer = null;
    this.idleWaiters = [];
    this.onError = options.onError || function () {};
    this.onAck = options.onAck || function () {};
    this.onStatus = options.onStatus || function () {};
    this.fetch = options.fetch || (typeof fetch !== "undefined" ? fetch.bind(null) : null);
    this.beaconFn = options.sendBeacon ||
      (typeof navigator !== "undefined" && navigator.sendBeacon ? navigator.sendBeacon.bind(navigator) : null);
    var self = this;
    this.autosave = typeof setInterval !== "undefined" && options.autosave !== false ?
      setInterval(function () { self.flush(); }, AUTOSAVE_MS) : null;
  }

  // Take the engine's new SetValue calls into the buffer. An element without an index has no
  // other element depending on it, so only its last value is kept; calls on records keep their
  // order (an id before the fields that need it).
  Channel.prototype.take = function (engine) {
    var changes = engine.changes;
    engine.changes = [];
    for (var i = 0; i < changes.length; i++) {
      var element = changes[i][0];
      var last = this.buffer.length ? this.buffer[this.buffer.length - 1] : null;
      if (last && last[0] === element) {
        this.buffer.pop();
      } else if (!/\.[0-9]+(\.|$)/.test(element)) {
        for (var j = this.buffer.length - 1; j >= 0; j--) {
          if (this.buffer[j][0] === element) {
            this.buffer.splice(j, 1);
          }
        }
      }
      this.buffer.push(changes[i]);
    }
  };

  // Close the buffer into a numbered commit (always, when it ends the session).
  Channel.prototype.batch = function (terminate) {
    if (!this.buffer.length && !terminate) {
      return false;
    }
    this.pending.push({seq: this.nextSeq++, ops: this.buffer, terminate: !!terminate});
    this.buffer = [];
    this.save();
    return true;
  };

  Channel.prototype.save = function () {
    var store = storage();
    if (!store) {
      return;
    }
    try {
      if (this.pending.length) {
        store.setItem(this.key, JSON.stringify({url: this.url, commits: this.pending, saved: Date.now()}));
      } else {
        store.removeItem(this.key);
      }
    } catch (e) {
      // storage full: memory still holds the commits
    }
  };

  Channel.prototype.body = function (commits) {
    return JSON.stringify({commits: commits || this.pending});
  };

  // Send every unacknowledged commit; resolves when the server has them or gave up.
  Channel.prototype.send = function () {
    var self = this;
    if (!this.pending.length || !this.fetch) {
      this.settle();
      return;
    }
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    this.again = false;
    var commits = this.pending.slice();
    var body = this.body(commits);
    var init = {method: "POST", headers: {"Content-Type": "application/json"}, body: body,
                keepalive: bytes(body) < BEACON_LIMIT, credentials: "same-origin"};
    this.fetch(this.url, init).then(function (response) {
      return response.json().then(function (doc) {
        return {status: response.status, doc: doc};
      }, function () {
        return {status: response.status, doc: null};
      });
    }).then(function (answer) {
      self.inFlight = false;
      if (answer.status >= 200 && answer.status < 300) {
        self.retryMs = 1000;
        self.acknowledge(answer.doc.data.applied_through);
        self.onAck(answer.doc.data);
        self.onStatus(self.pending.length ? "saving" : "saved");
      } else if (answer.status >= 400 && answer.status < 500 && answer.status !== 408 && answer.status !== 429) {
        self.refused(commits, answer);
      } else {
        self.retry();
        return;
      }
      if (self.pending.length && self.again) {
        self.send();
      } else {
        self.settle();
      }
    }, function () {
      self.inFlight = false;
      self.retry(); // offline or the server is restarting: keep the commits, try again
    });
  };

  Channel.prototype.acknowledge = function (appliedThrough) {
    var kept = [];
    for (var i = 0; i < this.pending.length; i++) {
      if (this.pending[i].seq > appliedThrough) {
        kept.push(this.pending[i]);
      }
    }
    this.pending = kept;
    this.save();
  };

  // The server refused the batch (4xx). A commit that fails validation is dropped (it can never
  // succeed) and the rest re-sent; a refusal of the whole session drops everything.
  Channel.prototype.refused = function (commits, answer) {
    var error = answer.doc && answer.doc.errors && answer.doc.errors[0];
    var pointer = error && error.source && error.source.pointer;
    var match = pointer && /^\/commits\/([0-9]+)/.exec(pointer);
    if (answer.status === 422 && match && commits[parseInt(match[1], 10)]) {
      var bad = commits[parseInt(match[1], 10)].seq;
      this.pending = this.pending.filter(function (c) { return c.seq !== bad; });
      this.again = true;
    } else {
      this.pending = [];
    }
    this.save();
    this.failed = error ? error.detail : "The server refused the data (HTTP " + answer.status + ").";
    this.onError(this.failed);
  };

  Channel.prototype.retry = function () {
    var self = this;
    if (this.retryTimer) {
      return;
    }
    this.retryTimer = setTimeout(function () {
      self.retryTimer = null;
      self.send();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 30000);
    this.onStatus("offline");
    this.settle(true);
  };

  Channel.prototype.settle = function (failed) {
    if (this.inFlight) {
      return;
    }
    var waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (var i = 0; i < waiters.length; i++) {
      waiters[i](!failed && !this.pending.length);
    }
  };

  // Resolves (with true when everything is acknowledged) once no request is in flight.
  Channel.prototype.idle = function () {
    var self = this;
    return new Promise(function (resolve) {
      if (!self.inFlight && !self.pending.length) {
        resolve(true);
        return;
      }
      self.idleWaiters.push(resolve);
      if (!self.inFlight) {
        self.send();
      }
    });
  };

  Channel.prototype.flush = function () {
    this.batch(false);
    this.send();
  };

  // The page is going away: hand every unacknowledged commit to the browser, which sends it
  // even after the page is gone. They stay pending (and stored) until acknowledged.
  Channel.prototype.beacon = function () {
    this.batch(false);
    if (!this.pending.length) {
      return;
    }
    var body = this.body();
    var sent = false;
    if (this.beaconFn && bytes(body) < BEACON_LIMIT) {
      try {
        sent = this.beaconFn(this.url, new Blob([body], {type: "text/plain;charset=UTF-8"}));
      } catch (e) {
        sent = false;
      }
    }
    if (!sent && this.fetch) {
      try {
        this.fetch(this.url, {method: "POST", body: body, keepalive: bytes(body) < BEACON_LIMIT,
                              headers: {"Content-Type": "application/json"}});
      } catch (e) {
        // nothing more can be done now; localStorage keeps the commits for the next launch
      }
    }
  };

  Channel.prototype.close = function () {
    if (this.autosave) {
      clearInterval(this.autosave);
      this.autosave = null;
    }
  };

  // Commits a closed page could not deliver, kept in localStorage: send them (before a new
  // session reads the state they change). Resolves when each was delivered or refused.
  function flushStored(fetchFn) {
    var store = storage();
    fetchFn = fetchFn || (typeof fetch !== "undefined" ? fetch.bind(null) : null);
    if (!store || !fetchFn) {
      return Promise.resolve(0);
    }
    var keys = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(STORAGE_PREFIX) === 0) {
        keys.push(key);
      }
    }
    return Promise.all(keys.map(function (key) {
      var saved;
      try {
        saved = JSON.parse(store.getItem(key));
      } catch (e) {
        saved = null;
      }
      if (!saved || !saved.url || !saved.commits || !saved.commits.length) {
        store.removeItem(key);
        return 0;
      }
      return fetchFn(saved.url, {method: "POST", headers: {"Content-Type": "application/json"},
                                 body: JSON.stringify({commits: saved.commits})}).then(function (response) {
        if (response.status < 500) {
          store.removeItem(key); // delivered, or refused for good
          return 1;
        }
        return 0;
      }, function () {
        return 0; // still offline: keep them for next time
      });
    })).then(function (results) {
      return results.reduce(function (a, b) { return a + b; }, 0);
    });
  }

  // -- the API objects ------------------------------------------------------------------------

  /*
   * The object a SCO finds as window.API (1.2) or window.API_1484_11 (2004).
   * options: values, navigation, channel (a Channel, or null for no server),
   * onTerminate(navRequest) called after Terminate/LMSFinish.
   */
  function createApi(rules, options) {
    options = options || {};
    var engine = new Engine(rules, options.values, options.navigation);
    var channel = options.channel || null;
    var names = METHODS[rules.version];
    var api = {engine: engine, channel: channel};

    function sync(terminate) {
      if (channel) {
        channel.take(engine);
        channel.batch(terminate);
        channel.send();
      } else {
        engine.changes = [];
      }
    }

    api[names[0]] = function (argument) {
      return engine.initialize(argument === undefined ? "" : text(argument));
    };
    api[names[1]] = function (argument) {
      var result = engine.terminate(argument === undefined ? "" : text(argument));
      if (result === "true") {
        sync(true);
        if (options.onTerminate) {
          var request = rules.version === "2004" ? (engine.values["adl.nav.request"] || "_none_") : "_none_";
          setTimeout(function () { options.onTerminate(request); }, 0);
        }
      }
      return result;
    };
    api[names[2]] = function (element) {
      return engine.getValue(text(element));
    };
    api[names[3]] = function (element, value) {
      var result = engine.setValue(text(element), text(value));
      if (result === "true" && channel) {
        channel.take(engine);
      }
      return result;
    };
    api[names[4]] = function (argument) {
      var result = engine.commit(argument === undefined ? "" : text(argument));
      if (result === "true") {
        sync(false);
        if (channel && channel.failed) { // the server refused this session's data: say so
          return engine.fail("commit_failure", "The LMS could not store the data: " + channel.failed);
        }
      }
      return result;
    };
    api[names[5]] = function () {
      return engine.getLastError();
    };
    api[names[6]] = function (value) {
      return engine.getErrorString(value === undefined ? "" : text(value));
    };
    api[names[7]] = function (value) {
      return engine.getDiagnostic(value === undefined ? "" : text(value));
    };
    if (rules.version === "2004") {
      api.version = "1.0";
    }
    return api;
  }

  return {Engine: Engine, Channel: Channel, createApi: createApi, flushStored: flushStored, METHODS: METHODS};
});
