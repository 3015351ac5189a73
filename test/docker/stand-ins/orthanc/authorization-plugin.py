"""STAND-IN for Orthanc's authorization plugin (not packaged by Debian), for `npm run test:docker` only. Only what
the basic-auth setup uses, as docs/PROTOCOL.md describes the real plugin's calls:
- with Authorization.WebServiceTokenCreationBaseUrl: PUT /auth/tokens/{type} is passed on to orthanc-auth (OE2's Share
  button), with the plugin's Basic credential;
- with Authorization.WebServiceRootUrl: every request is asked of POST {root}tokens/validate (token from the `token`
  header or the `token` GET argument; study level, by DICOM uid for DICOMweb, by Orthanc id for the REST API), no
  cache; a request naming no study is refused."""
import base64
import json
import re
import urllib.error
import urllib.request

import orthanc

config = json.loads(orthanc.GetConfiguration()).get("Authorization", {})
user = config.get("WebServiceUsername", "")
password = config.get("WebServicePassword", "")
basic = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def call(method, url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json", "Authorization": basic})
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


creation = config.get("WebServiceTokenCreationBaseUrl")
if creation:
    def create_token(output, uri, **request):
        if str(request["method"]).upper() not in ("PUT", str(orthanc.HttpMethod.PUT)):
            return output.SendMethodNotAllowed("PUT")
        status, body = call("PUT", creation + request["groups"][0], json.loads(request["body"] or b"{}"))
        if status == 200:
            output.AnswerBuffer(body, "application/json")
        else:
            output.SendHttpStatus(status, body)

    orthanc.RegisterRestCallback("/auth/tokens/(.*)", create_token)

root = config.get("WebServiceRootUrl")
if root:
    METHODS = {orthanc.HttpMethod.GET: "get", orthanc.HttpMethod.POST: "post",
               orthanc.HttpMethod.PUT: "put", orthanc.HttpMethod.DELETE: "delete"}

    def check(uri, **request):
        headers = {k.lower(): v for k, v in request.get("headers", {}).items()}
        token = headers.get("token") or (request.get("get") or {}).get("token")
        m = re.match(r"^/dicom-web/studies/([0-9.]+)", uri)
        n = re.match(r"^/studies/([0-9a-f-]{44})", uri)
        if not token or not (m or n):
            return False
        method = request["method"]
        method = METHODS.get(method) or str(method).lower()
        body = {"level": "study", "method": method, "token-key": "token",
                "token-value": token, "uri": uri}
        if m:
            body["dicom-uid"] = m.group(1)
        else:
            body["orthanc-id"] = n.group(1)
        try:
            status, answer = call("POST", root.rstrip("/") + "/tokens/validate", body)
            return status == 200 and json.loads(answer).get("granted") is True
        except (OSError, ValueError):  # orthanc-auth unreachable or answering garbage: refused, as the real plugin
            return False

    orthanc.RegisterIncomingHttpRequestFilter(check)
