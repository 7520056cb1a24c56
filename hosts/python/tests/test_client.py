"""The sidecar client against a real `o365-host serve --simulate` (the binary the
workspace builds, or $O365_HOST), and its retry on a full queue against a stub."""

import http.server
import os
import pathlib
import tempfile
import threading
import unittest

from o365_sidecar import Client, SidecarError, start_serve

ROOT = pathlib.Path(__file__).resolve().parents[3]
O365_HOST = os.environ.get("O365_HOST", str(ROOT / "target" / "release" / "o365-host"))
COMPONENT = str(ROOT / "target" / "wasm32-wasip2" / "release" / "office365.wasm")


def serve(*args):
    if not os.path.exists(O365_HOST):
        raise AssertionError(f"{O365_HOST} is missing: cargo build --release -p o365-host")
    return start_serve(O365_HOST, "--simulate", "--quiet", "--component", COMPONENT, *args)


class AgainstServe(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._serve = serve()
        cls.client = cls._serve.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls._serve.__exit__(None, None, None)

    def test_health_manifest_and_demo_connections(self):
        self.assertEqual(self.client.health()["status"], "ok")
        names = [c["name"] for c in self.client.commands()["commands"]]
        self.assertIn("list-mail-folders", names)
        self.assertLessEqual({"demo-app", "demo-delegated"}, set(self.client.connections()))

    def test_a_command_runs_and_returns_its_result(self):
        result = self.client.run(
            "demo-app",
            "list-mail-folders",
            {"Email Addresses or User IDs": ["alex.wilber@contoso.example"]},
        )
        self.assertEqual(result["status"], "successful", result["errors"])
        self.assertIn("Inbox", [f["displayName"] for f in result["raw-data"]["value"]])

    def test_a_bad_parameter_is_a_failed_result_naming_it(self):
        result = self.client.run("demo-app", "list-mail-folders", {"Bogus": 1})
        self.assertEqual(result["status"], "failed")
        self.assertTrue(result["errors"][0]["message"].startswith("Bogus:"))

    def test_refusals_raise_with_the_servers_code(self):
        with self.assertRaises(SidecarError) as unknown:
            self.client.run("nobody", "list-mail-folders")
        self.assertEqual((unknown.exception.status, unknown.exception.code), (404, "unknown-connection"))
        with self.assertRaises(SidecarError) as bad:
            self.client.put_connection("x", {"environment": "mars", "grant-type": "client-credentials"})
        self.assertEqual((bad.exception.status, bad.exception.code), (400, "bad-connection"))

    def test_a_registered_connection_runs_under_its_name(self):
        app = {
            "environment": "commercial-gcc",
            "tenant-id": "8f5a1c7e-2b4d-4e6f-9a1b-3c5d7e9f0a2b",
            "grant-type": "client-credentials",
            "client-id": "3f6b2d8e-91c4-4a7e-b5d0-6c2e8f4a1b93",
            "client-secret": "wrong-secret",
        }
        self.client.put_connection("soc-prod", app)
        self.assertIn("soc-prod", self.client.connections())
        result = self.client.run("soc-prod", "test-connection")
        self.assertEqual(result["status"], "failed")
        self.assertNotIn("wrong-secret", str(result))


class WithToken(unittest.TestCase):
    def test_the_bearer_token_is_sent_and_never_shown(self):
        with tempfile.TemporaryDirectory() as d:
            token_file = pathlib.Path(d) / "token"
            token_file.write_text("sidecar-token-0123456789")
            with serve("--token-file", str(token_file)) as client:
                with self.assertRaises(SidecarError) as refused:
                    client.health()
                self.assertEqual(refused.exception.status, 401)
                authorized = Client(client.base_url[: -len("/v1")], token="sidecar-token-0123456789")
                self.assertEqual(authorized.health()["status"], "ok")
                self.assertNotIn("sidecar-token", repr(authorized))


class Busy(http.server.BaseHTTPRequestHandler):
    """429 with Retry-After: 0 for the first `busy` requests, then a result."""

    busy = 2
    seen = 0

    def do_POST(self):
        Busy.seen += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if Busy.seen <= Busy.busy:
            body, status = b'{"error": {"code": "busy", "message": "queue full"}}', 429
        else:
            body, status = b'{"status": "successful"}', 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if status == 429:
            self.send_header("Retry-After", "0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class FullQueue(unittest.TestCase):
    def run_against_busy(self, busy, retries):
        Busy.busy, Busy.seen = busy, 0
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Busy)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            client = Client(f"http://127.0.0.1:{server.server_port}", busy_retries=retries)
            return client.run("c", "test-connection")
        finally:
            server.shutdown()
            server.server_close()

    def test_a_full_queue_is_retried_after_retry_after(self):
        self.assertEqual(self.run_against_busy(busy=2, retries=3)["status"], "successful")
        self.assertEqual(Busy.seen, 3)

    def test_retries_give_up_with_the_refusal(self):
        with self.assertRaises(SidecarError) as refused:
            self.run_against_busy(busy=5, retries=1)
        self.assertEqual((refused.exception.status, refused.exception.retry_after), (429, 0.0))
        self.assertEqual(Busy.seen, 2)


if __name__ == "__main__":
    unittest.main()
