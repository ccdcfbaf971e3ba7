"""A throw-away Dovecot IMAP server for the tests and the benchmark.

`DovecotServer(tmp_dir).start()` writes a configuration under `tmp_dir` (maildirs, a passwd
file of test users, a self-signed certificate made by `openssl req`), starts `/usr/sbin/dovecot
-F` as the current user on two free 127.0.0.1 ports (plain + STARTTLS, and implicit TLS), and
waits until it answers. `stop()` ends the process it started (by its pid, never by name).

XOAUTH2: the `oauth2` passdb asks `introspection_url` whether a bearer token is good; pass one
(a tiny local HTTP server in the tests) to accept XOAUTH2 logins too.
"""

import grp
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"

USERS = {"desk": "desk-secret", "other": "other-secret"}


def dovecot_available() -> tuple[bool, str]:
    if not os.path.exists(DOVECOT):
        return False, f"Dovecot is not installed at {DOVECOT} (apt-get install dovecot-imapd)"
    if not os.path.exists(OPENSSL):
        return False, "openssl is not installed (needed for the test certificate)"
    return True, ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DovecotServer:
    """One Dovecot process with its own directories; ports are chosen at start."""

    def __init__(self, root: Path, *, introspection_url: str = "") -> None:
        self.root = Path(root)
        self.introspection_url = introspection_url
        self.host = "127.0.0.1"
        self.port = 0  # plain IMAP, STARTTLS offered
        self.tls_port = 0  # implicit TLS
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    def _certificate(self) -> None:
        subprocess.run(
            [
                OPENSSL,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-keyout",
                str(self.root / "key.pem"),
                "-out",
                str(self.root / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )

    def _mail_owner(self) -> tuple[int, int]:
        """The uid/gid mail is stored as: ours, or Dovecot's account when we are root (Dovecot
        never stores mail as uid 0)."""
        if os.getuid() != 0:
            return os.getuid(), os.getgid()
        account = pwd.getpwnam("dovecot")
        return account.pw_uid, account.pw_gid

    def _config(self) -> str:
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        uid, gid = os.getuid(), os.getgid()
        login_user = internal_user = user
        if uid == 0:
            # Dovecot's login and internal processes refuse to run as root (a container's
            # only user): they take Debian's unprivileged accounts then.
            internal_user, login_user = "dovecot", "dovenull"
            uid, gid = self._mail_owner()
        root = self.root
        passdbs = f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {root}/passwd\n}}\n"
        mechanisms = "plain login"
        if self.introspection_url:
            (root / "oauth2.conf").write_text(
                f"introspection_mode = post\nintrospection_url = {self.introspection_url}\n"
                "username_attribute = username\nactive_attribute = active\n"
                "active_value = true\ntokeninfo_url =\n"
            )
            passdbs += (
                f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
                f"  args = {root}/oauth2.conf\n}}\n"
            )
            mechanisms += " xoauth2 oauthbearer"
        return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
default_internal_user = {internal_user}
default_internal_group = {group if uid else internal_user}
default_login_user = {login_user}
first_valid_uid = {min(uid, 1) if uid else 0}
first_valid_gid = 0
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
mail_location = maildir:{root}/mail/%u
mail_fsync = never
{passdbs}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Processed {{
    auto = create
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {user}
}}
service auth-worker {{
  user = {user}
}}
service imap {{
  user = {user}
}}
"""

    def start(self, timeout: float = 15.0) -> "DovecotServer":
        for folder in ("run", "state", "mail", "home"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # the unprivileged login processes reach their sockets
        uid, gid = self._mail_owner()
        for folder in ("mail", "home"):
            os.chown(self.root / folder, uid, gid)
        self._certificate()
        (self.root / "passwd").write_text(
            "".join(f"{name}:{{PLAIN}}{password}::::\n" for name, password in USERS.items())
        )
        self.port, self.tls_port = free_port(), free_port()
        config = self.root / "dovecot.conf"
        config.write_text(self._config())
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "stderr.log", "wb"),  # noqa: SIM115
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with imaplib.IMAP4(self.host, self.port, timeout=1) as probe:
                    probe.logout()
                return self
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Dovecot did not start: {self.diagnostics()}")

    def diagnostics(self) -> str:
        parts = []
        for name in ("stderr.log", "dovecot.log"):
            path = self.root / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-2000:])
        return "\n".join(parts)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    # --- filling and inspecting mailboxes, over IMAP ---------------------------------------

    def client(self, user: str = "desk") -> imaplib.IMAP4:
        connection = imaplib.IMAP4(self.host, self.port, timeout=30)
        connection.login(user, USERS[user])
        return connection

    def append(self, raw: bytes, *, user: str = "desk", folder: str = "INBOX") -> None:
        self.append_many([raw], user=user, folder=folder)

    def append_many(self, messages: list[bytes], *, user: str = "desk", folder: str = "INBOX"):  # type: ignore[no-untyped-def]
        connection = self.client(user)
        try:
            for raw in messages:
                status, data = connection.append(folder, "", None, raw)
                if status != "OK":
                    raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            connection.logout()

    def flags(self, *, user: str = "desk", folder: str = "INBOX") -> dict[int, str]:
        """UID -> the FLAGS answer of every message in `folder`."""
        connection = self.client(user)
        try:
            connection.select(folder, readonly=True)
            _, data = connection.uid("FETCH", "1:*", "(FLAGS)")
            result: dict[int, str] = {}
            for item in data:
                if not item:
                    continue
                text = item.decode() if isinstance(item, bytes) else str(item[0])
                uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                result[uid] = text
            return result
        finally:
            connection.logout()

    def count(self, *, user: str = "desk", folder: str = "INBOX") -> int:
        connection = self.client(user)
        try:
            _, data = connection.select(folder, readonly=True)
            return int(data[0] or 0)
        finally:
            connection.logout()

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.root / "cert.pem"))
        context.check_hostname = False
        return context
