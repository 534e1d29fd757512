// The e-learning player: puts scorm-again's adapter where SCORM content looks for it
// (window.API for 1.2, window.API_1484_11 for 2004), loaded with the data the server
// kept (resume on any device), committing to the server; then loads the SCO.
//
// Commits: synchronous (SCORM-conformant), every 10 s after a change, on LMSCommit /
// Commit and on LMSFinish / Terminate. Offline (the browser says so: navigator.onLine,
// "offline" event), scorm-again keeps each commit in localStorage and sends them when
// the browser is back online or at the next launch (enableOfflineSupport,
// syncOnInitialize, syncOnTerminate). Each commit carries the time it was made
// (capturedAt), so a late replay never overwrites newer data on the server.
//
// Navigation between SCOs: SCORM 2004 navigation requests (adl.nav.request continue,
// previous, {target=ID}choice) at Terminate; the page's own continue / previous / choice
// links. Sequencing rules in the manifest are not applied (no activity tree is given to
// scorm-again): items are offered in manifest order.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("player-config").textContent);
  var frame = document.getElementById("sco-frame");
  var message = document.getElementById("player-message");
  var lastCaptured = 0;
  var settings = {
    lmsCommitUrl: config.commit,
    dataCommitFormat: "json",
    autocommit: true,
    autocommitSeconds: 10,
    includeCommitSequence: true,
    terminateCommitParam: "final",
    // The commit URL carries its own key instead of a CSRF header: the final commit
    // may go by navigator.sendBeacon, which sends no custom header.
    enableOfflineSupport: true,
    courseId: config.course,
    syncOnInitialize: true,
    syncOnTerminate: true,
    maxSyncAttempts: 10,
    logLevel: 4,
    requestHandler: function (commit) {
      commit.capturedAt = Date.now();
      lastCaptured = commit.capturedAt;
      return commit;
    },
  };
  var api;
  if (config.kind === "scorm12") {
    api = new window.Scorm12API(settings);
    window.API = api;
  } else {
    api = new window.Scorm2004API(settings);
    window.API_1484_11 = api;
  }
  api.loadFromFlattenedJSON(config.cmi, "");

  // The final commit goes by navigator.sendBeacon: before leaving, wait (at most 5 s)
  // until the server holds it, so the next page shows what was just done.
  function settled(then) {
    var deadline = Date.now() + 5000;
    function ask() {
      fetch(config.state, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (state) {
          if (state.captured >= lastCaptured || Date.now() > deadline) { then(); }
          else { window.setTimeout(ask, 200); }
        })
        .catch(function () {
          if (Date.now() > deadline) { then(); } else { window.setTimeout(ask, 500); }
        });
    }
    ask();
  }
  function go(itemId, ended) {
    var url = config.status + "?item=" + encodeURIComponent(itemId);
    settled(function () {
      window.location.assign(ended ? url + "&ended=1" : url);
    });
  }
  function neighbour(step) {
    var index = config.items.indexOf(config.item) + step;
    return index >= 0 && index < config.items.length ? config.items[index] : null;
  }
  var navigated = false;
  api.on("SequenceNext", function () {
    var next = neighbour(1);
    navigated = true;
    go(next || config.item, !next);
  });
  api.on("SequencePrevious", function () {
    var previous = neighbour(-1);
    navigated = true;
    go(previous || config.item, !previous);
  });
  api.on("SequenceChoice", function (_element, target) {
    navigated = true;
    go(config.items.indexOf(target) >= 0 ? target : config.item, config.items.indexOf(target) < 0);
  });
  function ended() {
    // After the final commit; a navigation request (2004) has already moved on.
    window.setTimeout(function () {
      if (!navigated) {
        go(config.item, true);
      }
    }, 0);
  }
  api.on(config.kind === "scorm12" ? "LMSFinish" : "Terminate", ended);
  window.addEventListener("offline", function () {
    message.textContent = "You are offline: your progress is kept in this browser and sent when you are back online.";
  });
  window.addEventListener("online", function () {
    message.textContent = "Back online: your progress is being sent.";
  });
  if (new URLSearchParams(window.location.search).get("ended") === "1") {
    message.textContent = "This part ended; your progress is saved. Choose a part to continue.";
    frame.hidden = true;
    var resume = document.createElement("a");
    resume.href = config.status + "?item=" + encodeURIComponent(config.item);
    resume.id = "resume";
    resume.textContent = "Open this part again";
    message.after(resume);
    return;
  }
  frame.src = config.launch;
})();
