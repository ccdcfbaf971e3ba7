"""A tiny local OAuth 2.0 provider for the tests: a token endpoint (refresh-token grant) and the
token introspection endpoint Dovecot's oauth2 passdb asks."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeProvider:
    """Issues `token-<n>` for the refresh token it knows; rotates the refresh token when
    `rotate` is set. `requests` keeps every token request's form."""

    def __init__(self, *, refresh_token: str = "refresh-1", username: str = "desk") -> None:
        self.refresh_token = refresh_token
        self.username = username
        self.rotate = False
        self.expires_in = 3600
        self.issued: list[str] = []
        self.requests: list[dict[str, str]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path == "/token":
                    status, body = provider.token(form)
                elif self.path == "/introspect":
                    status, body = 200, provider.introspect(form)
                else:
                    status, body = 404, {"error": "not_found"}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        self.requests.append(form)
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != (
            self.refresh_token
        ):
            return 400, {"error": "invalid_grant", "error_description": "AADSTS70000: bad grant"}
        token = f"token-{len(self.issued) + 1}"
        self.issued.append(token)
        body: dict[str, object] = {"access_token": token, "expires_in": self.expires_in}
        if self.rotate:
            self.refresh_token = f"refresh-{len(self.issued) + 1}"
            body["refresh_token"] = self.refresh_token
        return 200, body

    def introspect(self, form: dict[str, str]) -> dict[str, object]:
        if form.get("token") in self.issued:
            return {"active": "true", "username": self.username}
        return {"active": "false"}

    def __enter__(self) -> "FakeProvider":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
