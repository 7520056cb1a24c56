"""The conformance suite's cases, expectations and normalization (standard library only).

A case (cases/NN-name.json) is one command run: `command`, `connection` (a demo
connection of graph-sim by name, or {"demo": NAME, "set": {field: value}} for one changed
field), `input`, and `expect`:

- `status`: the result's status;
- `equals`: {"dotted.path": value}: the value at that path;
- `counts`: {"dotted.path": n}: the list (or object) at that path has n entries;
- `errors`: [{"status-code": n, "parameter": NAME}]: an error with that status whose message
  starts with "NAME:" (the parameter it names), or with "message-contains": TEXT.

Paths are keys joined by dots, list indexes as numbers (`events.0.Event Type`). Cases run in
file-name order against one fresh graph-sim per host; each host's results must meet the
expectations and be identical to every other host's after `normalized`.
"""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

CASES = pathlib.Path(__file__).resolve().parent / "cases"

_MISSING = object()


def load_cases(directory: pathlib.Path = CASES) -> list[tuple[str, dict]]:
    return [(p.stem, json.loads(p.read_text())) for p in sorted(directory.glob("*.json"))]


def connection_of(case: dict, demos: dict[str, dict]) -> tuple[str, dict]:
    """The connection's name (demo name, or `case-...` for a changed one) and its JSON."""
    spec = case["connection"]
    if isinstance(spec, str):
        return spec, demos[spec]
    changed = {**demos[spec["demo"]], **spec["set"]}
    return f"{spec['demo']}-changed-{'-'.join(sorted(spec['set']))}", changed


def at(document: Any, path: str) -> Any:
    value = document
    for key in path.split("."):
        if isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return _MISSING
    return value


def failures(expect: dict, result: dict) -> list[str]:
    """What in `result` does not meet `expect`; empty when it does."""
    found = []
    if result.get("status") != expect["status"]:
        found.append(f"status {result.get('status')!r}, expected {expect['status']!r}; errors: {result.get('errors')}")
    for path, value in expect.get("equals", {}).items():
        got = at(result, path)
        if got != value:
            found.append(f"{path} is {'missing' if got is _MISSING else repr(got)}, expected {value!r}")
    for path, n in expect.get("counts", {}).items():
        got = at(result, path)
        if not isinstance(got, (list, dict)) or len(got) != n:
            shown = "missing" if got is _MISSING else (len(got) if isinstance(got, (list, dict)) else repr(got))
            found.append(f"{path} has {shown} entries, expected {n}")
    for wanted in expect.get("errors", []):
        def matches(error: dict) -> bool:
            message = error.get("message", "")
            return (
                error.get("status-code") == wanted["status-code"]
                and ("parameter" not in wanted or message.startswith(wanted["parameter"] + ":"))
                and ("message-contains" not in wanted or wanted["message-contains"] in message)
            )
        if not any(matches(e) for e in result.get("errors", [])):
            found.append(f"no error like {wanted}; errors: {result.get('errors')}")
    return found


# Claims of the access token that test-connection reports and that depend on the second
# the token was issued.
_TOKEN_TIME_CLAIMS = ("exp", "iat", "nbf")


def normalized(result: dict) -> dict:
    """The result without what may differ between two correct runs: the token's time claims
    (`raw-data.token.exp|iat|nbf`), and the file store's random file ids (each replaced by
    `file-N`, N in order of first appearance, wherever it appears)."""
    result = json.loads(json.dumps(result))
    token = at(result, "raw-data.token")
    if isinstance(token, dict):
        for claim in _TOKEN_TIME_CLAIMS:
            token.pop(claim, None)
    ids: dict[str, str] = {}
    for f in result.get("files", []):
        ids.setdefault(f.get("file-id", ""), f"file-{len(ids) + 1}")
    if not ids:
        return result
    pattern = re.compile("|".join(re.escape(i) for i in ids if i))
    text = pattern.sub(lambda m: ids[m.group(0)], json.dumps(result, sort_keys=True))
    return json.loads(text)


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON values differ, as dotted paths (at most a few, for a readable report)."""
    if type(a) is not type(b):
        return [f"{path or '.'}: {json.dumps(a)[:120]} != {json.dumps(b)[:120]}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'the first' if k in a else 'the second'}")
            else:
                out += differences(a[k], b[k], f"{path}.{k}")
        return out[:10]
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} entries != {len(b)}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += differences(x, y, f"{path}.{i}")
        return out[:10]
    return [] if a == b else [f"{path}: {json.dumps(a)[:120]} != {json.dumps(b)[:120]}"]
