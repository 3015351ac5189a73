"""Stand-in orthancteam/orthanc entrypoint: merge /etc/orthanc/*.json (comments allowed) with the environment's
ORTHANC__SECTION__KEY variables (a *_SECRET variable names a file of /run/secrets holding the value), add Debian's
plugins, then exec Orthanc."""
import glob
import json
import os
import re

SPECIAL = {"POSTGRESQL": "PostgreSQL", "DICOM_WEB": "DicomWeb"}


def pascal(name):
    return SPECIAL.get(name) or "".join(p.capitalize() for p in name.split("_"))


def strip_comments(text):
    out, i, in_str = [], 0, False
    while i < len(text):
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            merge(a[k], v)
        else:
            a[k] = v


config = {
    "RemoteAccessAllowed": True,
    "StorageDirectory": "/var/lib/orthanc/db",
    "IndexDirectory": "/var/lib/orthanc/db",
    "Plugins": ["/usr/share/orthanc/plugins"],
    "PythonScript": "/stand-in/authorization-plugin.py",
    "DicomServerEnabled": False,
}
for f in sorted(glob.glob("/etc/orthanc/*.json")):
    if os.path.basename(f) in ("orthanc.json", "credentials.json", "postgresql.json", "dicomweb.json", "python.json"):
        continue  # Debian's own defaults
    with open(f) as fh:
        merge(config, json.loads(strip_comments(fh.read())))
for name, value in os.environ.items():
    if not name.startswith("ORTHANC__"):
        continue
    parts = name[len("ORTHANC__"):].split("__")
    if parts[-1].endswith("_SECRET"):
        parts[-1] = parts[-1][: -len("_SECRET")]
        with open(os.path.join("/run/secrets", value)) as fh:
            value = fh.read().strip()
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    node = config
    for p in parts[:-1]:
        node = node.setdefault(pascal(p), {})
    node[pascal(parts[-1])] = parsed
if "PostgreSQL" in config:
    config["PostgreSQL"].update({"EnableIndex": True, "EnableStorage": False, "Lock": False})
    config["PostgreSQL"].setdefault("Port", 5432)
    config["PostgreSQL"].setdefault("Database", config["PostgreSQL"].get("Username", "orthanc"))
os.makedirs("/tmp/orthanc", exist_ok=True)
os.makedirs("/var/lib/orthanc/db", exist_ok=True)
with open("/tmp/orthanc/config.json", "w") as fh:
    json.dump(config, fh, indent=1)
os.execvp("Orthanc", ["Orthanc", "/tmp/orthanc/config.json"])
