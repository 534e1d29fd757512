"""Small e-learning packages built in the test suite (issue 15): a SCORM 1.2 single-SCO
course, a SCORM 2004 (4th edition) two-SCO course and a cmi5 course with one AU. Each
SCO is a page and a script that talk to the run-time API as authoring tools do (find
the API in the parent frames, initialise, read entry/location/suspend data, set
values, commit, finish); the cmi5 AU fetches its token and sends xAPI statements.

The buttons of each page are what the browser journeys click.
"""

import io
import zipfile

FIND_API = """
function findAPI(name) {
  var win = window, tries = 0;
  while (win && tries < 10) {
    if (win[name]) { return win[name]; }
    if (win.parent === win) { break; }
    win = win.parent; tries += 1;
  }
  return null;
}
function show(id, text) { document.getElementById(id).textContent = text; }
"""

SCO12_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
<p>Entry: <output id="entry"></output> · Page: <output id="page"></output> · Data: <output id="data"></output></p>
<p>Last error: <output id="error"></output></p>
<button id="next" type="button">Next page</button>
<button id="suspend" type="button">Save and leave</button>
<button id="finish" type="button">Finish with {score} %</button>
<button id="bad" type="button">Send a bad score</button>
<button id="readonly" type="button">Set a read-only element</button>
<script src="sco12.js"></script>
</body></html>
"""  # noqa: E501 (page and script text, as authoring tools write it)

SCO12_JS = (
    FIND_API
    + """
var api = findAPI("API");
var beforeInit = api.LMSSetValue("cmi.core.lesson_location", "1");
var beforeInitError = api.LMSGetLastError();
api.LMSInitialize("");
var page = parseInt(api.LMSGetValue("cmi.core.lesson_location") || "1", 10);
show("entry", api.LMSGetValue("cmi.core.entry"));
show("page", String(page));
show("data", api.LMSGetValue("cmi.suspend_data"));
show("error", "before init: " + beforeInit + " " + beforeInitError);
if (api.LMSGetValue("cmi.core.lesson_status") === "not attempted") {
  api.LMSSetValue("cmi.core.lesson_status", "incomplete");
}
document.getElementById("next").onclick = function () {
  page += 1;
  api.LMSSetValue("cmi.core.lesson_location", String(page));
  api.LMSSetValue("cmi.suspend_data", "seen=" + page);
  api.LMSSetValue("cmi.interactions.0.id", "q" + page);
  api.LMSSetValue("cmi.interactions.0.type", "choice");
  api.LMSSetValue("cmi.interactions.0.result", "correct");
  api.LMSCommit("");
  show("page", String(page));
  show("data", "seen=" + page);
};
document.getElementById("suspend").onclick = function () {
  api.LMSSetValue("cmi.core.exit", "suspend");
  api.LMSFinish("");
};
document.getElementById("finish").onclick = function () {
  api.LMSSetValue("cmi.core.score.raw", "{score}");
  api.LMSSetValue("cmi.core.lesson_status", "passed");
  api.LMSSetValue("cmi.core.exit", "");
  api.LMSFinish("");
};
document.getElementById("bad").onclick = function () {
  var ok = api.LMSSetValue("cmi.core.score.raw", "abc");
  show("error", "score abc: " + ok + " " + api.LMSGetLastError());
};
document.getElementById("readonly").onclick = function () {
  var ok = api.LMSSetValue("cmi.core.student_id", "someone-else");
  show("error", "student_id: " + ok + " " + api.LMSGetLastError());
};
"""
)

SCO2004_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
<p>Entry: <output id="entry"></output> · Location: <output id="location"></output></p>
<button id="progress" type="button">Mark progress</button>
<button id="suspend" type="button">Save and leave</button>
<button id="complete" type="button">Complete and continue</button>
<button id="previous" type="button">Back to the previous part</button>
<script src="sco2004.js"></script>
</body></html>
"""

SCO2004_JS = (
    FIND_API
    + """
var api = findAPI("API_1484_11");
api.Initialize("");
show("entry", api.GetValue("cmi.entry"));
show("location", api.GetValue("cmi.location"));
document.getElementById("progress").onclick = function () {
  api.SetValue("cmi.location", "half");
  api.SetValue("cmi.suspend_data", "progress=50");
  api.SetValue("cmi.completion_status", "incomplete");
  api.Commit("");
  show("location", "half");
};
document.getElementById("suspend").onclick = function () {
  api.SetValue("cmi.exit", "suspend");
  api.Terminate("");
};
document.getElementById("complete").onclick = function () {
  api.SetValue("cmi.score.scaled", "0.8");
  api.SetValue("cmi.completion_status", "completed");
  api.SetValue("cmi.success_status", "passed");
  api.SetValue("cmi.exit", "normal");
  api.SetValue("adl.nav.request", "continue");
  api.Terminate("");
};
document.getElementById("previous").onclick = function () {
  api.SetValue("adl.nav.request", "previous");
  api.Terminate("");
};
"""
)

AU_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>AU</title></head>
<body>
<h1>cmi5 AU</h1>
<p>Token: <output id="token"></output> · Sent: <output id="sent"></output></p>
<p>Last answer: <output id="answer"></output></p>
<button id="complete" type="button">Complete and pass</button>
<script src="au.js"></script>
</body></html>
"""

AU_JS = """
function show(id, text) { document.getElementById(id).textContent = text; }
var params = new URLSearchParams(window.location.search);
var endpoint = params.get("endpoint");
var registration = params.get("registration");
var activityId = params.get("activityId");
var actor = JSON.parse(params.get("actor"));
var token = null, session = null, sent = 0;
function xapi(method, path, body) {
  return fetch(endpoint + path, {
    method: method,
    headers: {"Authorization": "Basic " + token, "X-Experience-API-Version": "1.0.3",
              "Content-Type": "application/json"},
    body: body === undefined ? undefined : JSON.stringify(body)
  }).then(function (r) { show("answer", String(r.status)); return r; });
}
function statement(verb, extra) {
  var s = {actor: actor, verb: {id: verb}, object: {id: activityId, objectType: "Activity"},
           context: {registration: registration,
                     contextActivities: {category: [{id: "https://w3id.org/xapi/cmi5/context/categories/cmi5"}]},
                     extensions: {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": session}}};
  for (var k in (extra || {})) { s[k] = extra[k]; }
  return xapi("POST", "statements", s).then(function (r) { if (r.ok) { sent += 1; show("sent", String(sent)); } return r; });
}
fetch(params.get("fetch"), {method: "POST"}).then(function (r) { return r.json(); }).then(function (body) {
  token = body["auth-token"];
  show("token", token ? "yes" : "no");
  var query = "activities/state?stateId=LMS.LaunchData&activityId=" + encodeURIComponent(activityId) +
    "&agent=" + encodeURIComponent(JSON.stringify(actor)) + "&registration=" + registration;
  return xapi("GET", query);
}).then(function (r) { return r.json(); }).then(function (launchData) {
  session = launchData.contextTemplate.extensions["https://w3id.org/xapi/cmi5/context/extensions/sessionid"];
  return statement("http://adlnet.gov/expapi/verbs/initialized");
});
document.getElementById("complete").onclick = function () {
  statement("http://adlnet.gov/expapi/verbs/completed", {result: {completion: true, duration: "PT2M"}})
    .then(function () {
      return statement("http://adlnet.gov/expapi/verbs/passed",
        {result: {success: true, score: {scaled: 0.9}, duration: "PT2M"}});
    }).then(function () {
      return statement("http://adlnet.gov/expapi/verbs/terminated", {result: {duration: "PT3M"}});
    });
};
"""  # noqa: E501 (page and script text, as authoring tools write it)


def _zip(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def scorm12_manifest(*, mastery: str | None = "80", href: str = "sco.html") -> str:
    mastery_el = f"<adlcp:masteryscore>{mastery}</adlcp:masteryscore>" if mastery else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="qualify.test.scorm12" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Aseptic gowning (SCORM 1.2)</title>
      <item identifier="sco1" identifierref="res1"><title>Gowning</title>{mastery_el}</item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res1" type="webcontent" adlcp:scormtype="sco" href="{href}">
      <file href="sco.html"/><file href="sco12.js"/>
    </resource>
  </resources>
</manifest>"""


def scorm12_package(**kw) -> bytes:
    return _zip(
        {
            "imsmanifest.xml": scorm12_manifest(**kw),
            "sco.html": SCO12_HTML.format(title="Gowning", score=90),
            "sco12.js": SCO12_JS.replace("{score}", "90"),
        }
    )


def scorm2004_manifest() -> str:
    return """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="qualify.test.scorm2004" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Line clearance (SCORM 2004)</title>
      <item identifier="part1" identifierref="r1"><title>Part 1: why</title></item>
      <item identifier="part2" identifierref="r2"><title>Part 2: how</title></item>
    </organization>
  </organizations>
  <resources xml:base="content/">
    <resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="part1.html">
      <file href="part1.html"/><file href="sco2004.js"/>
    </resource>
    <resource identifier="r2" type="webcontent" adlcp:scormType="sco" href="part2.html">
      <file href="part2.html"/>
    </resource>
  </resources>
</manifest>"""


def scorm2004_package() -> bytes:
    return _zip(
        {
            "imsmanifest.xml": scorm2004_manifest(),
            "content/part1.html": SCO2004_HTML.format(title="Part 1: why"),
            "content/part2.html": SCO2004_HTML.format(title="Part 2: how"),
            "content/sco2004.js": SCO2004_JS,
        }
    )


COURSE_ID = "https://qualify.example/courses/cleanroom-entry"
AU_ID = "https://qualify.example/courses/cleanroom-entry/au/1"


def cmi5_structure(*, move_on: str = "CompletedAndPassed", mastery: str = "0.8") -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="{COURSE_ID}">
    <title><langstring lang="en">Cleanroom entry (cmi5)</langstring></title>
    <description><langstring lang="en">Entering grade B</langstring></description>
  </course>
  <au id="{AU_ID}" moveOn="{move_on}" masteryScore="{mastery}">
    <title><langstring lang="en">Cleanroom entry AU</langstring></title>
    <description><langstring lang="en">The AU</langstring></description>
    <url>au/index.html</url>
  </au>
</courseStructure>"""


def cmi5_package(**kw) -> bytes:
    return _zip({"cmi5.xml": cmi5_structure(**kw), "au/index.html": AU_HTML, "au/au.js": AU_JS})


def zip_of(files: dict[str, str | bytes]) -> bytes:
    return _zip(files)
