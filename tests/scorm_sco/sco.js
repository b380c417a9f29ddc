/*
 * A SCO written for the tests. It finds the API with the ADL discovery algorithm (parents, then
 * the opener), and then, as its launch parameters say:
 *   script=errors  calls every error path of its SCORM version and records each answer in
 *                  sco.results ({call, expected, got, ok}); sco.failures lists the wrong ones;
 *   init=1         calls Initialize on load;  finish=1  calls Terminate / LMSFinish on unload;
 *   set=<element>:<value>,...  sets these values after Initialize.
 * Tests can also call sco.call(method, args...) from Playwright.
 */
var sco = (function () {
  "use strict";

  function find(win, name) {
    var tries = 0;
    while (!win[name] && win.parent && win.parent !== win) {
      if (++tries > 7) {
        return null;
      }
      win = win.parent;
    }
    return win[name] || null;
  }

  function discover(name) {
    return find(window, name) || (window.opener ? find(window.opener, name) : null);
  }

  var params = {};
  window.location.search.replace(/^\?/, "").split("&").forEach(function (pair) {
    if (pair) {
      var parts = pair.split("=");
      params[decodeURIComponent(parts[0])] = decodeURIComponent(parts.slice(1).join("="));
    }
  });

  var self = {params: params, results: [], failures: [], api: null, version: null, log: []};
  var names;

  self.call = function (method) {
    var args = Array.prototype.slice.call(arguments, 1);
    var result = self.api[method].apply(self.api, args);
    var error = self.api[names.lastError]();
    self.log.push([method, args, result, error]);
    return [result, error];
  };

  // [method, args, expected result (null: any non-empty string), expected error code]
  var ERRORS_12 = [
    ["LMSGetValue", ["cmi.core.student_id"], "", "301"],
    ["LMSSetValue", ["cmi.core.lesson_location", "x"], "false", "301"],
    ["LMSCommit", [""], "false", "301"],
    ["LMSFinish", [""], "false", "301"],
    ["LMSGetErrorString", ["301"], "Not initialized", "301"],
    ["LMSInitialize", ["x"], "false", "201"],
    ["LMSInitialize", [""], "true", "0"],
    ["LMSInitialize", [""], "false", "101"],
    ["LMSGetValue", [""], "", "201"],
    ["LMSGetValue", ["cmi.core.nothing"], "", "401"],
    ["LMSGetValue", ["cmi.core.lesson_status._children"], "", "202"],
    ["LMSGetValue", ["cmi.core._count"], "", "203"],
    ["LMSGetValue", ["cmi.core.exit"], "", "404"],
    ["LMSGetValue", ["cmi.objectives.0.id"], "", "201"],
    ["LMSGetValue", ["cmi.core._children"], null, "0"],
    ["LMSGetValue", ["cmi._version"], "3.4", "0"],
    ["LMSGetValue", ["cmi.core.lesson_status"], "not attempted", "0"],
    ["LMSGetValue", ["cmi.launch_data"], "hello", "0"],
    ["LMSGetValue", ["cmi.student_data.mastery_score"], "80", "0"],
    ["LMSSetValue", ["", "x"], "false", "201"],
    ["LMSSetValue", ["cmi.objectives._count", "1"], "false", "402"],
    ["LMSSetValue", ["cmi._version", "9"], "false", "402"],
    ["LMSSetValue", ["cmi.core.student_id", "me"], "false", "403"],
    ["LMSSetValue", ["cmi.core.lesson_status", "not attempted"], "false", "405"],
    ["LMSSetValue", ["cmi.core.lesson_status", "bogus"], "false", "405"],
    ["LMSSetValue", ["cmi.core.score.raw", "101"], "false", "405"],
    ["LMSSetValue", ["cmi.core.session_time", "1:00"], "false", "405"],
    ["LMSSetValue", ["cmi.objectives.1.id", "o2"], "false", "201"],
    ["LMSSetValue", ["cmi.objectives.0.id", "o1"], "true", "0"],
    ["LMSGetValue", ["cmi.objectives._count"], "1", "0"],
    ["LMSSetValue", ["cmi.interactions.0.id", "q1"], "true", "0"],
    ["LMSGetValue", ["cmi.interactions.0.id"], "", "404"],
    ["LMSSetValue", ["cmi.core.lesson_location", "page-3"], "true", "0"],
    ["LMSSetValue", ["cmi.core.score.raw", "85"], "true", "0"],
    ["LMSSetValue", ["cmi.core.session_time", "0000:01:30.5"], "true", "0"],
    ["LMSCommit", ["x"], "false", "201"],
    ["LMSCommit", [""], "true", "0"],
    ["LMSGetLastError", [], "0", "0"],
    ["LMSGetErrorString", ["405"], "Incorrect Data Type", "0"],
    ["LMSGetErrorString", ["999"], "", "0"],
    ["LMSGetDiagnostic", ["401"], null, "0"],
    ["LMSFinish", ["x"], "false", "201"],
    ["LMSFinish", [""], "true", "0"],
    ["LMSGetValue", ["cmi.core.lesson_location"], "", "301"],
    ["LMSSetValue", ["cmi.core.lesson_location", "y"], "false", "301"],
    ["LMSCommit", [""], "false", "301"],
    ["LMSFinish", [""], "false", "301"],
    ["LMSInitialize", [""], "false", "101"]
  ];

  var ERRORS_2004 = [
    ["Terminate", [""], "false", "112"],
    ["GetValue", ["cmi.location"], "", "122"],
    ["SetValue", ["cmi.location", "x"], "false", "132"],
    ["Commit", [""], "false", "142"],
    ["Initialize", ["x"], "false", "201"],
    ["Initialize", [""], "true", "0"],
    ["Initialize", [""], "false", "103"],
    ["GetValue", [""], "", "301"],
    ["GetValue", ["cmi.nothing"], "", "401"],
    ["GetValue", ["cmi.location._children"], "", "301"],
    ["GetValue", ["cmi.location._count"], "", "301"],
    ["GetValue", ["cmi.objectives.9.id"], "", "301"],
    ["GetValue", ["cmi.location"], "", "403"],
    ["GetValue", ["cmi.exit"], "", "405"],
    ["GetValue", ["cmi.completion_status"], "unknown", "0"],
    ["GetValue", ["cmi.launch_data"], "hello", "0"],
    ["GetValue", ["cmi.objectives._count"], "2", "0"],
    ["GetValue", ["cmi.objectives.0.id"], "primary", "0"],
    ["GetValue", ["cmi.objectives.1.id"], "obj_a", "0"],
    ["GetValue", ["cmi.scaled_passing_score"], "0.6", "0"],
    ["GetValue", ["cmi.completion_threshold"], "0.8", "0"],
    ["SetValue", ["", "x"], "false", "351"],
    ["SetValue", ["cmi.nothing", "x"], "false", "401"],
    ["SetValue", ["cmi._version", "2"], "false", "404"],
    ["SetValue", ["cmi.objectives._count", "3"], "false", "404"],
    ["SetValue", ["cmi.learner_id", "me"], "false", "404"],
    ["SetValue", ["cmi.completion_status", "done"], "false", "406"],
    ["SetValue", ["cmi.score.scaled", "1.5"], "false", "407"],
    ["SetValue", ["cmi.progress_measure", "-0.1"], "false", "407"],
    ["SetValue", ["cmi.objectives.3.id", "far"], "false", "351"],
    ["SetValue", ["cmi.objectives.2.score.raw", "1"], "false", "408"],
    ["SetValue", ["cmi.objectives.2.id", "obj_a"], "false", "351"],
    ["SetValue", ["cmi.objectives.1.id", "changed"], "false", "351"],
    ["SetValue", ["cmi.interactions.0.id", "q1"], "true", "0"],
    ["SetValue", ["cmi.interactions.0.learner_response", "true"], "false", "408"],
    ["SetValue", ["cmi.interactions.0.type", "true-false"], "true", "0"],
    ["SetValue", ["cmi.interactions.0.learner_response", "maybe"], "false", "406"],
    ["SetValue", ["cmi.interactions.0.learner_response", "true"], "true", "0"],
    ["SetValue", ["cmi.interactions.0.correct_responses.0.pattern", "true"], "true", "0"],
    ["SetValue", ["cmi.interactions.0.correct_responses.1.pattern", "false"], "false", "351"],
    ["SetValue", ["cmi.interactions.0.result", "correct"], "true", "0"],
    ["SetValue", ["cmi.location", "page-3"], "true", "0"],
    ["GetValue", ["cmi.location"], "page-3", "0"],
    ["SetValue", ["cmi.progress_measure", "0.9"], "true", "0"],
    ["GetValue", ["cmi.completion_status"], "completed", "0"],
    ["SetValue", ["cmi.score.scaled", "0.5"], "true", "0"],
    ["GetValue", ["cmi.success_status"], "failed", "0"],
    ["SetValue", ["cmi.score.scaled", "0.75"], "true", "0"],
    ["GetValue", ["cmi.success_status"], "passed", "0"],
    ["SetValue", ["cmi.session_time", "PT1M30.5S"], "true", "0"],
    ["GetValue", ["adl.nav.request_valid.continue"], "false", "0"],
    ["GetValue", ["adl.nav.request_valid.choice.{target=sco_1}"], "true", "0"],
    ["SetValue", ["adl.nav.request_valid.continue", "true"], "false", "404"],
    ["Commit", ["x"], "false", "201"],
    ["Commit", [""], "true", "0"],
    ["GetErrorString", ["408"], "Data Model Dependency Not Established", "0"],
    ["GetErrorString", ["0408"], "", "0"],
    ["GetDiagnostic", ["404"], null, "0"],
    ["Terminate", ["x"], "false", "201"],
    ["Terminate", [""], "true", "0"],
    ["GetValue", ["cmi.location"], "", "123"],
    ["SetValue", ["cmi.location", "y"], "false", "133"],
    ["Commit", [""], "false", "143"],
    ["Terminate", [""], "false", "113"],
    ["Initialize", [""], "false", "104"]
  ];

  function runErrors() {
    var script = self.version === "1.2" ? ERRORS_12 : ERRORS_2004;
    script.forEach(function (step) {
      var answer = self.call.apply(null, [step[0]].concat(step[1]));
      var ok = (step[2] === null ? answer[0].length > 0 && answer[0].length <= 255 : answer[0] === step[2]) &&
               answer[1] === step[3];
      var record = {call: step[0] + "(" + step[1].map(JSON.stringify).join(", ") + ")",
                    expected: [step[2], step[3]], got: answer, ok: ok};
      self.results.push(record);
      if (!ok) {
        self.failures.push(record);
      }
    });
  }

  self.start = function () {
    self.api = discover("API_1484_11");
    self.version = "2004";
    if (!self.api) {
      self.api = discover("API");
      self.version = self.api ? "1.2" : null;
    }
    if (!self.api) {
      document.getElementById("state").textContent = "no API";
      return;
    }
    names = self.version === "1.2" ?
      {init: "LMSInitialize", finish: "LMSFinish", set: "LMSSetValue", lastError: "LMSGetLastError"} :
      {init: "Initialize", finish: "Terminate", set: "SetValue", lastError: "GetLastError"};
    if (params.script === "errors") {
      runErrors();
    } else if (params.init) {
      self.call(names.init, "");
      (params.set || "").split(",").forEach(function (pair) {
        if (pair) {
          var at = pair.indexOf(":");
          self.call(names.set, pair.slice(0, at), pair.slice(at + 1));
        }
      });
    }
    document.getElementById("state").textContent = "started " + self.version;
  };

  self.stop = function () {
    if (params.finish && self.api) {
      self.call(names.finish, "");
    }
  };

  return self;
})();
