#!/usr/bin/env bash
# The README's "Using the API" walk-through, as a script that runs it against a real server.
#
#   make run                                  # prints the demo's keys, serves on :8080
#   SK=sk_test_... PK=pk_test_... docs/api-walkthrough.sh
#
# Settings (environment):
#   BASE   the server                     (default http://127.0.0.1:8080)
#   APP    the organisation's app id      (default demo-school)
#   SK PK  its secret and publishable key (required; `make run` prints them)
#   FILES  where the files it makes and downloads go (default: a new temporary folder)
#   UNIVERSITY_LOCAL_DATA_DIR  the server's data folder, for the `university-local` lines
#          (default: this checkout's data/var, the one `make run` serves)
#
# The blocks between `# readme: NAME` and `# readme: end` are the README's code blocks, byte for
# byte (tests/test_walkthrough.py checks it, and runs this script against a demo server): edit
# them here, then copy them into the README. Everything else only prepares files or walks through
# calls the README describes in prose. Each run makes a new course, so it can run again and again.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=${BASE:-http://127.0.0.1:8080}
APP=${APP:-demo-school}
SK=${SK:?set SK to the secret key (sk_test_...) that make run printed}
PK=${PK:?set PK to the publishable key (pk_test_...) that make run printed}
FILES=${FILES:-$(mktemp -d)}
export UNIVERSITY_LOCAL_DATA_DIR=${UNIVERSITY_LOCAL_DATA_DIR:-$ROOT/data/var}
command -v university-local >/dev/null || PATH=$ROOT/.venv/bin:$PATH
mkdir -p "$FILES"
cd "$FILES"

# The calls below are written as a person would type them. In this script curl also reports each
# call's status on stderr and stops at the first error status, printing the server's answer, so a
# call that no longer matches the server fails the walk-through (and its test).
curl() {
  local answer status
  answer=$(command curl -sS -w '\n%{http_code} %{method} %{url_effective}' "$@") || return
  status=${answer##*$'\n'}
  answer=${answer%$'\n'*}
  echo "  $status" >&2
  if [[ $status != [23]* ]]; then
    printf '%s\n' "$answer" >&2
    return 22
  fi
  [[ -z $answer ]] || printf '%s\n' "$answer"
}

step() { printf '\n== %s\n' "$*" >&2; }

# -- the files the calls send -------------------------------------------------------------------

cat >roster.csv <<'CSV'
id,display_name,email,role,pin
stu-001,Grace Mwangi,grace@example.org,learner,1234
stu-002,Tomás Lindqvist,tomas@example.org,learner,5678
CSV

# A project to hand in, and a one-SCO SCORM 1.2 package (zipfile: the zip command may be absent).
python3 - <<'PY'
import zipfile

with zipfile.ZipFile("todo-app.zip", "w") as z:
    z.writestr("todo-app/index.html", "<!doctype html><title>To do</title><ul><li>Buy plasters</li></ul>")
    z.writestr("todo-app/NOTES.txt", "Dark mode: add ?theme=dark to the address.\n")

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="first-aid-check" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>First aid check</title>
    <item identifier="item_1" identifierref="res_1"><title>Check</title></item>
  </organization></organizations>
  <resources>
    <resource identifier="res_1" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
    </resource>
  </resources>
</manifest>"""
with zipfile.ZipFile("course.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("imsmanifest.xml", MANIFEST)
    z.writestr("index.html", "<!doctype html><title>Check</title><p>Is the casualty breathing?</p>")
PY

step "keys"
# readme: keys
curl -s $BASE/v1/university/courses -H "X-App-Id: $APP" -H "X-Api-Key: $SK"
# readme: end

step "courses, modules and lessons"
# readme: catalogue
H=(-H "X-App-Id: $APP" -H "X-Api-Key: $SK" -H "Content-Type: application/json")
B=$BASE/v1/university
# `... | field data.id` prints one value of the JSON answer (python3, as jq may not be installed)
field() { python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1"; }
COURSE=$(curl -s "${H[@]}" $B/courses -d '{"data":{"type":"course","attributes":{"title":"First Aid","status":"published"}}}' | field data.id)
MODULE=$(curl -s "${H[@]}" $B/courses/$COURSE/modules -d '{"data":{"type":"module","attributes":{"title":"Basics"}}}' | field data.id)
LESSON=$(curl -s "${H[@]}" $B/modules/$MODULE/lessons -d '{"data":{"type":"lesson","attributes":{
  "title":"Recovery position","content_type":"text",
  "content":{"html":"<p>Roll them onto their side.</p>","estimated_reading_minutes":5}}}}' | field data.id)
INTRO=$(curl -s "${H[@]}" $B/courses/$COURSE/modules -d '{"data":{"type":"module","attributes":{"title":"Before you start"}}}' | field data.id)
curl -s "${H[@]}" "$B/courses/$COURSE?include=modules,lessons"
curl -s "${H[@]}" $B/courses/$COURSE/modules/reorder -d '{"module_ids":["'$INTRO'","'$MODULE'"]}'
# readme: end

step "learners and progress"
# readme: learners
curl -s "${H[@]}" $B/users/import --data-binary @roster.csv -H "Content-Type: text/csv"
curl -s "${H[@]}" $B/enrollments -d '{"data":{"type":"enrollment","attributes":{"user_id":"stu-001","course_id":"'$COURSE'"}}}'
curl -s "${H[@]}" $B/enrollments/bulk -d '{"course_id":"'$COURSE'","user_ids":["stu-001","stu-002"]}'
curl -s "${H[@]}" -X PATCH $B/lessons/$LESSON/progress -d '{"user_id":"stu-001","position":95,"time_spent_seconds":300}'
curl -s "${H[@]}" $B/lessons/$LESSON/complete -d '{"user_id":"stu-001","time_spent_seconds":720}'
curl -s "${H[@]}" $B/progress/$COURSE/users/stu-001
# readme: end

step "webhooks (the README describes them)"
# No receiver listens at this URL: its deliveries wait for retries in the log read at the end.
HOOK=$(curl -s "${H[@]}" $B/webhooks -d '{"url":"http://127.0.0.1:9/university-events",
  "events":["quiz.passed","assignment.graded","certificate.issued"],"secret":"walkthrough-secret-0001"}' | field data.id)

step "quizzes"
# readme: quizzes
QUIZ=$(curl -s "${H[@]}" $B/quizzes -d '{"data":{"type":"quiz","attributes":{"title":"Check your first aid",
  "course_id":"'$COURSE'","time_limit_minutes":15,"passing_score":70,"questions":[
  {"type":"multiple_choice","question":"First, check for...","points":20,"options":[
    {"text":"Pulse"},{"text":"Danger","correct":true},{"text":"Bleeding"}]},
  {"type":"true_false","question":"Give an unconscious person water.","points":20,"correct_answer":false},
  {"type":"fill_blank","question":"The emergency number in Kenya is ___.","points":20,"correct_answers":["999","112"]},
  {"type":"matching","question":"Match the injury to its first step.","points":20,"pairs":[
    {"left":"Burn","right":"Cool water"},{"left":"Nosebleed","right":"Lean forward"}]},
  {"type":"essay","question":"Describe the recovery position.","points":20,"max_words":300}]}}}' | field data.id)
ATTEMPT=$(curl -s "${H[@]}" $B/quizzes/$QUIZ/attempts/start -d '{"user_id":"stu-001"}' | field data.id)   # timed quizzes
curl -s "${H[@]}" -X PATCH $B/attempts/$ATTEMPT/answers -d '{"user_id":"stu-001","answers":[{"question_index":0,"answer":1}]}'
curl -s "${H[@]}" $B/quizzes/$QUIZ/attempts -H "Idempotency-Key: stu-001-final-1" \
  -d '{"user_id":"stu-001","attempt_id":"'$ATTEMPT'","answers":[{"question_index":0,"answer":1},
  {"question_index":1,"answer":false},{"question_index":2,"answer":"999"},{"question_index":3,"answer":[[0,0],[1,1]]},
  {"question_index":4,"answer":"On their side, top leg bent, head tilted back so they can breathe."}]}'
curl -s "${H[@]}" "$B/quizzes/$QUIZ/attempts?user_id=stu-001"   # meta.standing
curl -s "${H[@]}" -X PATCH $B/attempts/$ATTEMPT/grade -d '{"question_index":4,"points_earned":18,"feedback":"Good"}'
# readme: end

step "assignments"
# readme: assignments
TASK=$(curl -s "${H[@]}" $B/modules/$MODULE/lessons -d '{"data":{"type":"lesson","attributes":{
  "title":"Project: a to-do app","content_type":"assignment",
  "content":{"instructions_html":"<p>Build it and hand in a zip.</p>","estimated_minutes":60}}}}' | field data.id)
ASSIGNMENT=$(curl -s "${H[@]}" $B/assignments -d '{"data":{"type":"assignment","attributes":{"title":"To-do app",
  "lesson_id":"'$TASK'","rubric":[{"criteria":"Functionality","max_points":40},{"criteria":"Style","max_points":10}]}}}' | field data.id)
SUBMISSION=$(curl -s -H "X-App-Id: $APP" -H "X-Api-Key: $PK" $B/assignments/$ASSIGNMENT/submissions \
  -F user_id=stu-001 -F file=@todo-app.zip -F notes="Dark mode included" | field data.id)
curl -s "${H[@]}" -OJ --output-dir downloads --create-dirs $B/submissions/$SUBMISSION/file   # downloads/todo-app.zip
curl -s "${H[@]}" -X PATCH $B/submissions/$SUBMISSION/grade -d '{"scores":[{"criteria":"Functionality","points":38},
  {"criteria":"Style","points":9}],"feedback":"Works well; the dark mode is a nice touch."}'
# readme: end

step "discussions (the README describes them)"
THREAD=$(curl -s "${H[@]}" $B/courses/$COURSE/discussions -d '{"data":{"type":"discussion","attributes":{
  "title":"Recovery position for children?","content":"<p>Is it the same for a small child?</p>","author_id":"stu-002"}}}' | field data.id)
REPLY=$(curl -s "${H[@]}" $B/discussions/$THREAD/replies -d '{"data":{"type":"reply","attributes":{
  "content":"<p>Yes, from the age of one.</p>","author_id":"stu-001"}}}' | field data.id)
curl -s -H "X-App-Id: $APP" -H "X-Api-Key: $PK" -H "Content-Type: application/json" \
  $B/discussions/$THREAD/upvotes -d '{"user_id":"stu-001"}'
curl -s "${H[@]}" -X PATCH $B/discussions/$THREAD/pin -d '{"pinned":true}'
curl -s "${H[@]}" -X PATCH $B/discussions/$THREAD/resolve -d '{"resolved":true,"answer_reply_id":"'$REPLY'"}'
curl -s "${H[@]}" "$B/discussions/$THREAD?include=replies"

step "learning paths (the README describes them)"
TRACK=$(curl -s "${H[@]}" $B/learning-paths -d '{"data":{"type":"learning_path","attributes":{"title":"Safety at work",
  "status":"published","courses":[{"course_id":"'$COURSE'"}]}}}' | field data.id)
curl -s "${H[@]}" $B/learning-paths/$TRACK/users/stu-001/progress

step "certificates"
# readme: certificates
CERT=$(curl -s "${H[@]}" $B/certificates \
  -d '{"data":{"type":"certificate","attributes":{"user_id":"stu-001","course_id":"'$COURSE'"}}}' | field data.id)
NUMBER=$(curl -s "${H[@]}" $B/certificates/$CERT | field data.attributes.certificate_number)
curl -s "${H[@]}" -o certificate.pdf $B/certificates/$CERT/pdf
curl -s "${H[@]}" $B/certificates/$CERT/revoke -d '{"reason":"Issued to the wrong learner"}'
curl -s $B/certificates/verify/$NUMBER   # public: no key
KEY=$(university-local certificates public-key | field keys.0.public_key)   # publish this to verifiers
university-local certificates verify certificate.pdf --public-key $KEY   # no server, no network
# readme: end

step "Grading queue and overview"
# readme: grading
curl -s "${H[@]}" "$B/grading-queue?course_id=$COURSE&kind=essay&per_page=50"
curl -s "${H[@]}" "$B/analytics/overview?stuck_days=7&limit=20"
# readme: end

step "SCORM"
# readme: scorm
SCORM_LESSON=$(curl -s -H "X-App-Id: $APP" -H "X-Api-Key: $SK" $B/scorm/upload \
  -F file=@course.zip -F course_id=$COURSE -F module_id=$MODULE | field data.attributes.lesson_id)
university-local scorm import course.zip --app $APP --env test --course $COURSE --module $MODULE
curl -s "${H[@]}" $B/scorm/launch -d '{"data":{"type":"scorm_launch","attributes":{"lesson_id":"'$SCORM_LESSON'","user_id":"stu-001"}}}'
curl -s "${H[@]}" "$B/scorm/lessons/$SCORM_LESSON/users/stu-001"   # status, score and time per SCO
# readme: end

step "analytics, ratings and reports"
# readme: analytics
curl -s "${H[@]}" "$B/analytics/courses/$COURSE?period=30d&metrics=enrollments,completions,engagement,ratings"
curl -s "${H[@]}" "$B/analytics/users/stu-001?period=90d"
curl -s "${H[@]}" "$B/analytics/leaderboard?scope=course&course_id=$COURSE&metric=progress&limit=10"
curl -s "${H[@]}" $B/courses/$COURSE/ratings -d '{"data":{"type":"course_rating","attributes":{"user_id":"stu-001","rating":5,"review":"Clear"}}}'
curl -s "${H[@]}" "$B/reports/courses/$COURSE?format=csv&include=progress,scores,time_spent" -o report.csv
# readme: end

step "webhook deliveries (the README describes them)"
curl -s "${H[@]}" $B/webhooks/$HOOK/deliveries
curl -s "${H[@]}" -X DELETE $B/webhooks/$HOOK

step "done: course $COURSE; files in $FILES"
