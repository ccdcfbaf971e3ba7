"""Container health check for the web service: exit 0 when /healthz answers 200, 1 otherwise.

Run inside the container (`python docker/healthcheck.py`): the slim image has no curl. The request
goes to gunicorn on 127.0.0.1 but names a host from ALLOWED_HOSTS (Django refuses any other) and
says it came through HTTPS (SECURE_SSL_REDIRECT would otherwise answer with a redirect).
"""

import http.client
import os
import sys


def host_header() -> str:
    explicit = os.environ.get("HEALTHCHECK_HOST", "").strip()
    if explicit:
        return explicit
    for raw in os.environ.get("ALLOWED_HOSTS", "").split(","):
        entry = raw.strip()
        if entry and entry != "*":
            # ".example.com" allows example.com and every subdomain.
            return entry.lstrip(".")
    return "localhost"


def main() -> int:
    port = int(os.environ.get("HEALTHCHECK_PORT", "8000"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(
            "GET", "/healthz", headers={"Host": host_header(), "X-Forwarded-Proto": "https"}
        )
        response = connection.getresponse()
        body = response.read(500).decode(errors="replace")
    except OSError as exc:
        sys.stderr.write(f"healthz: {exc}\n")
        return 1
    finally:
        connection.close()
    if response.status != 200:
        sys.stderr.write(f"healthz: HTTP {response.status} {body}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
