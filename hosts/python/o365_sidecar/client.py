"""A client of `o365-host serve` (README section "serve"), standard library only.

The sidecar runs the component for many connections; the platform registers each
connection under its own name (the name scopes the connection's tokens and files) and
runs commands by name. A command that ran returns its result document whatever its
status; a request the server refuses raises SidecarError with its code.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Iterator, Optional


class SidecarError(Exception):
    """A request `serve` refused: HTTP status, the server's code and message."""

    def __init__(self, status: int, code: str, message: str, retry_after: Optional[float] = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        # Seconds the server asks a client turned away (429) to wait.
        self.retry_after = retry_after


class Client:
    """One sidecar. `token`: the bearer token `serve` was given (default
    $O365_SERVE_TOKEN); it is sent on every request and never shown."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8780",
        token: Optional[str] = None,
        timeout: float = 630.0,
        busy_retries: int = 3,
    ):
        self.base_url = base_url.rstrip("/") + "/v1"
        self._token = token if token is not None else os.environ.get("O365_SERVE_TOKEN")
        # Above serve's own 600 s wall-clock limit, so the sidecar's 504 result arrives.
        self.timeout = timeout
        self.busy_retries = busy_retries

    def __repr__(self) -> str:
        return f"Client({self.base_url!r}, token={'set' if self._token else 'none'})"

    def health(self) -> dict:
        return self._call("GET", "/health")

    def commands(self) -> dict:
        """The manifest: commands, parameters, labels, permissions."""
        return self._call("GET", "/commands")

    def connections(self) -> list:
        return self._call("GET", "/connections")["connections"]

    def put_connection(self, name: str, connection: dict) -> None:
        """Registers or replaces a connection (the connection file's JSON)."""
        self._call("PUT", f"/connections/{_segment(name)}", connection)

    def run(self, connection: str, command: str, input: Optional[dict] = None) -> dict:
        """Runs a command for a registered connection; returns the result document.
        A full queue (429) is retried after the server's Retry-After, `busy_retries` times."""
        path = f"/connections/{_segment(connection)}/commands/{_segment(command)}"
        for attempt in range(self.busy_retries + 1):
            try:
                return self._call("POST", path, input if input is not None else {})
            except SidecarError as e:
                if e.status != 429 or attempt == self.busy_retries:
                    raise
                time.sleep(e.retry_after if e.retry_after is not None else 1.0)
        raise AssertionError("unreachable")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self._token:
            request.add_header("Authorization", "Bearer " + self._token)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                text = reply.read()
        except urllib.error.HTTPError as refused:
            raise _refusal(refused) from None
        return json.loads(text) if text else None


def _segment(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def _refusal(refused: urllib.error.HTTPError) -> SidecarError:
    text = refused.read()
    try:
        error = json.loads(text)["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "http-error", text.decode("utf-8", "replace")[:500]
    retry = (refused.headers.get("Retry-After") or "").strip()
    return SidecarError(refused.code, code, message, float(retry) if retry.isdigit() else None)


@contextlib.contextmanager
def start_serve(binary: str, *args: str, ready_timeout: float = 60.0) -> Iterator[Client]:
    """Starts `o365-host serve --addr 127.0.0.1:0 ARGS` and yields a Client of it; stops it
    on exit. For tests and for platforms that run the sidecar as a child process."""
    process = subprocess.Popen(
        [binary, "serve", "--addr", "127.0.0.1:0", *args],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + ready_timeout
        line = ""
        while "listening on" not in line:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise RuntimeError(f"o365-host serve exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("o365-host serve did not start in time")
        yield Client(line.split()[-1])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
