# SPDX-License-Identifier: AGPL-3.0-or-later
"""The routes behind Orthanc Explorer 2's inbox page (docker/keycloak-inbox), as an Orthanc Python plugin.

OE2's /ui/app/inbox.html lets a visitor fill in a form and drop DICOM files: it uploads them (POST /instances), then
calls the three routes below, relative to Orthanc's root (OrthancExplorer2.Inbox in orthanc.json):

- POST /plugins/inbox/validate-form  {"FormFields": {...}} -> {"<field id>": {"IsValid": bool, "Message": str}}
- POST /plugins/inbox/commit         {"FormFields": {...}, "OrthancStudiesIds": [...]} -> {"CommitId", "Message"}
- POST /plugins/inbox/monitor-processing  (the commit answer) -> {"PctProcessed", "HasFailed", "IsComplete", "Message"}

A commit anonymizes each uploaded study (the subject ID becomes the patient's name and ID, the visit the study
description), labels the copy "inbox-processed", attaches the optional PDF form to it as a series, and deletes the
original upload. The authorization plugin lets only profiles with the "upload" permission call these routes
(ExtraPermissions); in this setup that includes anonymous visitors, so the plugin trusts nothing it is sent:

- the form is validated again at commit; a refused form or a malformed body is a 400 with a JSON message;
- a commit may only name studies that are still pending uploads: they exist, are not labelled "inbox-processed",
  are not already being processed, and received their last instance less than INBOX_PENDING_SECONDS ago (default
  7200). A study that has been in Orthanc longer (the staff's studies) cannot be anonymized or deleted through here;
- commits are processed one at a time by one worker thread, at most INBOX_MAX_QUEUED (default 20) waiting (then 503);
- a commit id is a random string, so a visitor can monitor only the commits they made.

Nothing is ever deleted on a timer: an upload whose form was never committed stays, unlabelled, for an
administrator to review (README).
"""

import base64
import binascii
import datetime
import json
import os
import queue
import re
import secrets
import threading
import time

import orthanc

PROCESSED_LABEL = "inbox-processed"
# The ids of the form's fields and the visits offered: OrthancExplorer2.Inbox.FormFields in orthanc.json must match.
FORM_FIELDS = ("SubjectId", "VisitId", "Comments", "PdfForm")
VISITS = ["T0", "T0 + 6 months", "T0 + 12 months", "T0 + 18 months", "T0 + 24 months"]
SUBJECT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ORTHANC_ID = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{8}){4}$")
PDF_PREFIX = "data:application/pdf;base64,"
MAX_PDF_BYTES = 20 * 1024 * 1024
MAX_COMMENTS = 2000
MAX_STUDIES_PER_COMMIT = 50
PENDING_SECONDS = int(os.environ.get("INBOX_PENDING_SECONDS", "7200"))
MAX_QUEUED = int(os.environ.get("INBOX_MAX_QUEUED", "20"))
JOB_TIMEOUT_SECONDS = int(os.environ.get("INBOX_JOB_TIMEOUT_SECONDS", "3600"))
COMMITS_KEPT_SECONDS = 24 * 3600


class BadRequest(Exception):
    pass


def _answer(output, status, payload):
    body = json.dumps(payload)
    if status == 200:
        output.AnswerBuffer(body, "application/json")
    else:
        # A str body and its length in bytes (json.dumps writes ASCII), as the Python plugin's wrapper takes them.
        output.SetHttpHeader("Content-Type", "application/json")
        output.SendHttpStatus(status, body, len(body.encode("utf-8")))


def _json_body(request):
    if request.get("method") != "POST":
        raise BadRequest("only POST is allowed")
    try:
        payload = json.loads(request.get("body") or b"")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body must be JSON")
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object")
    return payload


def check_form(fields):
    """Each form field: (is it valid, the message shown beside it). Never raises on what a visitor typed."""
    if not isinstance(fields, dict):
        fields = {}
    result = {}

    def field(name, ok, message):
        result[name] = {"IsValid": True} if ok else {"IsValid": False, "Message": message}

    subject = fields.get("SubjectId")
    field(
        "SubjectId",
        isinstance(subject, str) and SUBJECT_ID.match(subject) is not None,
        "A subject ID is required: letters, digits, '.', '_' or '-', at most 64 (e.g. SUB-253)",
    )
    visit = fields.get("VisitId")
    field("VisitId", visit in VISITS, "Select a visit")
    comments = fields.get("Comments")
    field(
        "Comments",
        comments in (None, "") or (isinstance(comments, str) and len(comments) <= MAX_COMMENTS),
        "At most %d characters" % MAX_COMMENTS,
    )
    pdf = fields.get("PdfForm")
    field("PdfForm", pdf in (None, "") or _pdf_bytes(pdf) is not None, "Attach a PDF file of at most 20 MB, or none")
    return result


def _pdf_bytes(value):
    if not isinstance(value, str) or not value.startswith(PDF_PREFIX):
        return None
    if len(value) > len(PDF_PREFIX) + (MAX_PDF_BYTES * 4) // 3 + 4:
        return None
    try:
        data = base64.b64decode(value[len(PDF_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if data.startswith(b"%PDF") and len(data) <= MAX_PDF_BYTES else None


def _get_json(uri):
    return json.loads(orthanc.RestApiGet(uri))


def _pending_study(study_id, now):
    """The study's main information when it may be committed; raises BadRequest otherwise."""
    if not isinstance(study_id, str) or not ORTHANC_ID.match(study_id):
        raise BadRequest("OrthancStudiesIds must hold Orthanc study ids")
    try:
        study = _get_json("/studies/%s" % study_id)
    except Exception:
        raise BadRequest("no pending upload %s" % study_id)
    if PROCESSED_LABEL in (study.get("Labels") or []):
        raise BadRequest("study %s was already processed" % study_id)
    try:
        updated = datetime.datetime.strptime(study.get("LastUpdate", ""), "%Y%m%dT%H%M%S")
    except ValueError:
        raise BadRequest("no pending upload %s" % study_id)
    if (now - updated).total_seconds() > PENDING_SECONDS:
        raise BadRequest("study %s is not a recent upload: it cannot be committed through the inbox" % study_id)
    return study


class Commit:
    def __init__(self, study_ids, fields):
        self.id = secrets.token_urlsafe(18)
        self.created = time.time()
        self.study_ids = study_ids
        self.fields = fields
        self.progress = {s: 0 for s in study_ids}
        self.has_failed = False
        self.is_complete = False
        self.message = "Waiting for the studies to be anonymized"

    def status(self):
        pct = sum(self.progress.values()) / max(1, len(self.progress))
        return {
            "PctProcessed": 100 if self.is_complete else pct,
            "HasFailed": self.has_failed,
            "IsComplete": self.is_complete,
            "Message": self.message,
        }


_lock = threading.Lock()
_commits = {}
_in_flight = set()
_queue = queue.Queue(maxsize=MAX_QUEUED)


def _forget_old_commits():
    limit = time.time() - COMMITS_KEPT_SECONDS
    for key in [k for k, c in _commits.items() if c.created < limit and c.is_complete]:
        del _commits[key]


def _birth_year_only(dicom_date):
    """YYYYMMDD -> YYYY0101: the anonymized copy keeps the age, not the birthday."""
    if isinstance(dicom_date, str) and re.match(r"^\d{8}$", dicom_date):
        return dicom_date[:4] + "0101"
    return ""


def _anonymize(commit, study_id):
    study = _get_json("/studies/%s" % study_id)
    patient = study.get("PatientMainDicomTags") or {}
    fields = commit.fields
    replace = {
        "PatientID": fields["SubjectId"],
        "PatientName": fields["SubjectId"],
        "StudyDescription": fields["VisitId"],
        "PatientBirthDate": _birth_year_only(patient.get("PatientBirthDate")),
        "PatientSex": patient.get("PatientSex", ""),
    }
    if fields.get("Comments"):
        replace["VisitComments"] = fields["Comments"]
    job = json.loads(
        orthanc.RestApiPost(
            "/studies/%s/anonymize" % study_id,
            json.dumps({"Replace": replace, "Keep": ["StudyDate", "StudyTime"], "Force": True, "Synchronous": False}),
        )
    )
    deadline = time.time() + JOB_TIMEOUT_SECONDS
    while True:
        state = _get_json("/jobs/%s" % job["ID"])
        if state.get("State") == "Success":
            return state["Content"]["ID"]
        if state.get("State") == "Failure" or time.time() > deadline:
            raise RuntimeError("anonymization job %s: %s" % (job["ID"], state.get("ErrorDescription", "timed out")))
        with _lock:
            commit.progress[study_id] = min(95, int(state.get("Progress", 0)))
        time.sleep(1)


def _process(commit):
    pdf = commit.fields.get("PdfForm")
    for study_id in commit.study_ids:
        anonymized = None
        try:
            anonymized = _anonymize(commit, study_id)
            # Labelled before the original goes: a copy without the label is never left as the only one.
            orthanc.RestApiPut("/studies/%s/labels/%s" % (anonymized, PROCESSED_LABEL), "")
            if pdf:
                orthanc.RestApiPost(
                    "/tools/create-dicom",
                    json.dumps({"Parent": anonymized, "Tags": {"SeriesDescription": "Inbox form"}, "Content": pdf}),
                )
            orthanc.RestApiDelete("/studies/%s" % study_id)
            orthanc.LogWarning("INBOX: study %s anonymized into %s (commit %s)" % (study_id, anonymized, commit.id))
            with _lock:
                commit.progress[study_id] = 100
        except Exception as err:
            # Back to the state before the commit: the original upload kept, no partial copy; it can be committed
            # again, or an administrator deletes it.
            orthanc.LogError("INBOX: study %s could not be processed: %s" % (study_id, err))
            if anonymized is not None and anonymized != study_id:
                try:
                    orthanc.RestApiDelete("/studies/%s" % anonymized)
                except Exception as cleanup:
                    orthanc.LogError("INBOX: could not remove the partial copy %s: %s" % (anonymized, cleanup))
            with _lock:
                commit.has_failed = True
                commit.message = "A study could not be anonymized; it was kept for an administrator to check"
    with _lock:
        commit.is_complete = True
        _in_flight.difference_update(commit.study_ids)
        if not commit.has_failed:
            commit.message = "All studies have been uploaded and anonymized"


def _worker():
    while True:
        commit = _queue.get()
        try:
            _process(commit)
        finally:
            _queue.task_done()


def on_validate_form(output, uri, **request):
    try:
        payload = _json_body(request)
    except BadRequest as err:
        return _answer(output, 400, {"Message": str(err)})
    _answer(output, 200, check_form(payload.get("FormFields")))


def on_commit(output, uri, **request):
    try:
        payload = _json_body(request)
        fields = payload.get("FormFields")
        checked = check_form(fields)
        refused = sorted(name for name, r in checked.items() if not r["IsValid"])
        if refused:
            raise BadRequest("the form is not valid: " + ", ".join(refused))
        ids = payload.get("OrthancStudiesIds")
        if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_STUDIES_PER_COMMIT:
            raise BadRequest("OrthancStudiesIds must list 1 to %d studies" % MAX_STUDIES_PER_COMMIT)
        ids = list(dict.fromkeys(ids))
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)  # Orthanc's LastUpdate is UTC
        for study_id in ids:
            _pending_study(study_id, now)
        commit = Commit(ids, {k: fields.get(k) for k in FORM_FIELDS})
        with _lock:
            busy = _in_flight.intersection(ids)
            if busy:
                raise BadRequest("study %s is already being processed" % sorted(busy)[0])
            try:
                _queue.put_nowait(commit)
            except queue.Full:
                return _answer(output, 503, {"Message": "The inbox is busy: try again in a few minutes"})
            _in_flight.update(ids)
            _forget_old_commits()
            _commits[commit.id] = commit
    except BadRequest as err:
        return _answer(output, 400, {"Message": str(err)})
    _answer(output, 200, {"CommitId": commit.id, "Message": commit.message})


def on_monitor(output, uri, **request):
    try:
        payload = _json_body(request)
    except BadRequest as err:
        return _answer(output, 400, {"Message": str(err)})
    with _lock:
        commit = _commits.get(payload.get("CommitId")) if isinstance(payload.get("CommitId"), str) else None
        if commit is None:
            return _answer(output, 404, {"Message": "no such commit"})
        status = commit.status()
    _answer(output, 200, status)


threading.Thread(target=_worker, name="inbox-worker", daemon=True).start()
orthanc.RegisterRestCallback("/plugins/inbox/validate-form", on_validate_form)
orthanc.RegisterRestCallback("/plugins/inbox/commit", on_commit)
orthanc.RegisterRestCallback("/plugins/inbox/monitor-processing", on_monitor)
