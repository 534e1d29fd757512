/* Qualify authored course player (issue 15, authoring light).
 * One page per course page, then the assessment. Reports to the LMS that launched it:
 * SCORM 2004 through the API_1484_11 adapter (Initialize, GetValue, SetValue, Commit,
 * Terminate), or cmi5 through xAPI (fetch the auth token once, read LMS.LaunchData,
 * send initialized, completed, passed/failed and terminated statements).
 * The course (window.QUALIFY_COURSE, course-data.js) holds the answer key: an exported
 * package scores in the browser, as every SCORM or cmi5 package does.
 * No external resource; runs from the package's own origin. */
(function () {
  "use strict";
  var course = window.QUALIFY_COURSE;
  var pages = course.pages;
  var questions = course.questions;
  var state = { page: 0, passed: false, completed: false };
  var started = new Date();
  var lms = null;

  function $(id) { return document.getElementById(id); }
  function say(text) { $("lms-status").textContent = text; }
  function duration(ms) { return "PT" + Math.max(0, Math.round(ms / 10) / 100) + "S"; }
  function uuid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* --- SCORM 2004 (API_1484_11) ------------------------------------------------ */
  function findApi(win) {
    var tries = 0;
    while (win && tries < 20) {
      if (win.API_1484_11) { return win.API_1484_11; }
      if (win.parent === win) { break; }
      win = win.parent; tries += 1;
    }
    return null;
  }

  function Scorm2004() {
    this.api = findApi(window) || (window.opener ? findApi(window.opener) : null);
  }
  Scorm2004.prototype.start = function (done) {
    var api = this.api;
    if (!api) { say("No SCORM 2004 LMS found: progress is not recorded."); done(); return; }
    if (api.Initialize("") !== "true") { say("The LMS refused to start: error " + api.GetLastError()); done(); return; }
    var saved = api.GetValue("cmi.suspend_data");
    if (saved) { try { var s = JSON.parse(saved); state.page = s.page || 0; state.passed = !!s.passed; } catch (e) { state.page = 0; } }
    var location = parseInt(api.GetValue("cmi.location") || "", 10);
    if (!isNaN(location)) { state.page = location; }
    var passing = parseFloat(api.GetValue("cmi.scaled_passing_score"));
    if (!isNaN(passing)) { course.passScaled = passing; }
    if (api.GetValue("cmi.completion_status") !== "completed") {
      api.SetValue("cmi.completion_status", "incomplete");
    }
    api.SetValue("cmi.exit", "suspend");
    api.Commit("");
    say("Recording to the LMS (SCORM 2004).");
    done();
  };
  Scorm2004.prototype.progress = function (page, total) {
    var api = this.api;
    if (!api) { return; }
    api.SetValue("cmi.location", String(page));
    api.SetValue("cmi.progress_measure", String(Math.min(1, total ? page / total : 1).toFixed(2)));
    api.SetValue("cmi.suspend_data", JSON.stringify({ page: page, passed: state.passed }));
    api.Commit("");
  };
  Scorm2004.prototype.finish = function (result) {
    var api = this.api;
    if (!api) { return; }
    result.answers.forEach(function (a, n) {
      var p = "cmi.interactions." + n + ".";
      api.SetValue(p + "id", a.id);
      api.SetValue(p + "type", a.type);
      api.SetValue(p + "result", a.correct ? "correct" : "incorrect");
    });
    if (result.scored) {
      api.SetValue("cmi.score.scaled", String(result.scaled));
      api.SetValue("cmi.score.raw", String(result.raw));
      api.SetValue("cmi.score.min", "0");
      api.SetValue("cmi.score.max", String(result.max));
      api.SetValue("cmi.success_status", result.passed ? "passed" : "failed");
    }
    api.SetValue("cmi.progress_measure", "1");
    api.SetValue("cmi.completion_status", "completed");
    api.SetValue("cmi.suspend_data", JSON.stringify({ page: state.page, passed: state.passed }));
    api.SetValue("cmi.session_time", duration(new Date() - started));
    api.SetValue("cmi.exit", result.scored && !result.passed ? "suspend" : "normal");
    api.Commit("");
    api.Terminate("");
    this.api = null;
  };
  Scorm2004.prototype.leave = function () {
    var api = this.api;
    if (!api) { return; }
    api.SetValue("cmi.session_time", duration(new Date() - started));
    api.SetValue("cmi.exit", "suspend");
    api.Commit("");
    api.Terminate("");
    this.api = null;
  };

  /* --- cmi5 (xAPI) --------------------------------------------------------------- */
  var CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
  var MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon";
  var ADL = "http://adlnet.gov/expapi/verbs/";

  function Cmi5(params) {
    this.endpoint = params.get("endpoint");
    if (this.endpoint && this.endpoint.slice(-1) !== "/") { this.endpoint += "/"; }
    this.fetchUrl = params.get("fetch");
    this.registration = params.get("registration");
    this.activityId = params.get("activityId");
    this.actor = JSON.parse(params.get("actor"));
    this.token = null;
    this.context = null;
    this.terminated = false;
  }
  Cmi5.prototype.xapi = function (method, path, body) {
    return fetch(this.endpoint + path, {
      method: method,
      headers: { "Authorization": "Basic " + this.token, "X-Experience-API-Version": "1.0.3",
                 "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  };
  Cmi5.prototype.query = function (stateId) {
    return "activities/state?stateId=" + encodeURIComponent(stateId) +
      "&activityId=" + encodeURIComponent(this.activityId) +
      "&agent=" + encodeURIComponent(JSON.stringify(this.actor)) +
      "&registration=" + encodeURIComponent(this.registration);
  };
  Cmi5.prototype.statement = function (verb, display, result, moveOn) {
    var template = this.context || {};
    var activities = JSON.parse(JSON.stringify(template.contextActivities || {}));
    activities.category = (activities.category || []).concat([{ id: CMI5 }]);
    if (moveOn) { activities.category.push({ id: MOVEON }); }
    var statement = {
      id: uuid(),
      actor: this.actor,
      verb: { id: verb, display: { "en-US": display } },
      object: { objectType: "Activity", id: this.activityId },
      context: { registration: this.registration, contextActivities: activities,
                 extensions: template.extensions || {} },
      timestamp: new Date().toISOString()
    };
    if (result) { statement.result = result; }
    return this.xapi("POST", "statements", statement).then(function (r) {
      if (!r.ok) { say("The LMS refused the statement " + display + " (" + r.status + ")."); }
      return r;
    });
  };
  Cmi5.prototype.start = function (done) {
    var self = this;
    if (!this.endpoint || !this.fetchUrl) { say("Not launched by a cmi5 LMS: progress is not recorded."); done(); return; }
    fetch(this.fetchUrl, { method: "POST" }).then(function (r) { return r.json(); }).then(function (body) {
      self.token = body["auth-token"];
      return self.xapi("GET", self.query("LMS.LaunchData"));
    }).then(function (r) { return r.json(); }).then(function (launchData) {
      self.context = launchData.contextTemplate || {};
      if (typeof launchData.masteryScore === "number") { course.passScaled = launchData.masteryScore; }
      return self.statement(ADL + "initialized", "initialized");
    }).then(function () {
      return self.xapi("GET", self.query("qualify.bookmark"));
    }).then(function (r) { return r.ok ? r.json() : {}; }).then(function (saved) {
      if (saved && typeof saved.page === "number") { state.page = saved.page; }
      if (saved && saved.completed) { state.completed = true; }
      say("Recording to the LMS (cmi5).");
      done();
    }).catch(function (e) { say("The LMS did not answer: " + e); done(); });
  };
  Cmi5.prototype.progress = function (page) {
    if (!this.token || this.terminated) { return; }
    this.xapi("PUT", this.query("qualify.bookmark"), { page: page, completed: state.completed });
  };
  Cmi5.prototype.finish = function (result) {
    var self = this;
    if (!this.token || this.terminated) { return; }
    var time = duration(new Date() - started);
    var chain = Promise.resolve();
    if (!state.completed) {
      chain = chain.then(function () {
        return self.statement(ADL + "completed", "completed", { completion: true, duration: time }, true);
      }).then(function (r) {
        if (r.ok) { state.completed = true; self.progress(state.page); }
      });
    }
    if (result.scored) {
      chain = chain.then(function () {
        return self.statement(ADL + (result.passed ? "passed" : "failed"), result.passed ? "passed" : "failed",
          { success: result.passed, score: { scaled: result.scaled, raw: result.raw, min: 0, max: result.max },
            duration: time }, true);
      });
    }
    chain.then(function () {
      self.terminated = true;
      return self.statement(ADL + "terminated", "terminated", { duration: time });
    });
  };
  Cmi5.prototype.leave = function () {
    if (!this.token || this.terminated) { return; }
    this.terminated = true;
    this.statement(ADL + "terminated", "terminated", { duration: duration(new Date() - started) });
  };

  /* --- the pages and the assessment ---------------------------------------------- */
  function norm(text) { return String(text).normalize("NFKC").toLowerCase().split(/\s+/).filter(Boolean).join(" "); }

  function score() {
    var correct = 0;
    var answers = questions.map(function (q, n) {
      var ok = false;
      var name = "q" + n;
      var checked = Array.prototype.filter.call(document.getElementsByName(name), function (e) { return e.checked; })
        .map(function (e) { return e.value; });
      if (q.kind === "single" || q.kind === "wrong_step" || q.kind === "true_false") {
        ok = checked.length === 1 && checked[0] === String(q.answer);
      } else if (q.kind === "multiple") {
        ok = checked.slice().sort().join("|") === q.answer.slice().sort().join("|");
      } else if (q.kind === "numeric") {
        var value = parseFloat(String(document.getElementsByName(name)[0].value).replace(",", "."));
        ok = !isNaN(value) && Math.abs(value - q.answer) <= q.tolerance;
      } else if (q.kind === "short_text") {
        var given = norm(document.getElementsByName(name)[0].value);
        ok = q.answer.some(function (a) { return norm(a) === given; });
      }
      if (ok) { correct += 1; }
      return { id: q.key, type: q.kind === "numeric" ? "numeric" : (q.kind === "short_text" ? "fill-in" : (q.kind === "true_false" ? "true-false" : "choice")), correct: ok };
    });
    var max = questions.length;
    var scaled = max ? Math.round(correct / max * 10000) / 10000 : 1;
    return { scored: max > 0, raw: correct, max: max, scaled: scaled, passed: scaled >= course.passScaled, answers: answers };
  }

  function show(index) {
    var total = pages.length + (questions.length ? 1 : 0);
    state.page = Math.max(0, Math.min(index, total - 1));
    var sections = document.querySelectorAll("[data-page]");
    Array.prototype.forEach.call(sections, function (s) { s.hidden = Number(s.getAttribute("data-page")) !== state.page; });
    $("previous").disabled = state.page === 0;
    $("next").hidden = state.page >= total - 1;
    $("finish").hidden = state.page < total - 1;
    $("position").textContent = (state.page + 1) + " / " + total;
    if (lms) { lms.progress(state.page, total - 1); }
  }

  function finish() {
    var result = questions.length ? score() : { scored: false, answers: [] };
    if (result.scored) {
      state.passed = state.passed || result.passed;
      $("result").textContent = "Score " + Math.round(result.scaled * 100) + " % (" + result.raw + " of " + result.max +
        "); pass mark " + Math.round(course.passScaled * 100) + " %: " + (result.passed ? "passed." : "not passed. Launch the course again to retry.");
    } else {
      $("result").textContent = "Course completed.";
    }
    $("finish").disabled = true;
    if (lms) { lms.finish(result); }
  }

  function begin() {
    var params = new URLSearchParams(window.location.search);
    lms = course.standard === "cmi5" ? new Cmi5(params) : new Scorm2004();
    $("previous").onclick = function () { show(state.page - 1); };
    $("next").onclick = function () { show(state.page + 1); };
    $("finish").onclick = finish;
    $("leave").onclick = function () { if (lms) { lms.leave(); } say("Progress saved; you can close this course."); };
    lms.start(function () { show(state.page); });
  }

  window.addEventListener("beforeunload", function () { if (lms) { lms.leave(); } });
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", begin); } else { begin(); }
}());
