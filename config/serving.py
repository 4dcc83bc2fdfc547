"""Where the demo listens and what it prints: the pieces of `make run HOST=… PORT=…
BASE_URL=…` that settings and the Makefile share. Plain Python, no Django import, so
that `python -m config.serving` can say which address the links will carry before the
server starts.

The links the application prints (convocations, calendar feeds, the PDF's verification
address and QR codes) are built from `SUIVI_BASE_URL`, never from a request: a document
generated now must still point to the right place when read later. So the demo computes
that address from where `runserver` really listens.
"""

import ipaddress
import os
import secrets
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

ALL_INTERFACES = {"0.0.0.0", "::", "[::]"}
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]


def lan_address() -> str | None:
    """The machine's address on the local network, or None.

    Connecting a UDP socket sends nothing: the kernel only picks the route, and with it
    the source address it would use. A private network range is enough (no Internet
    access needed); without any route, there is no LAN address to give."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.254.254.254", 9))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    if ipaddress.ip_address(address).is_loopback or address == "0.0.0.0":
        return None
    return address


def _url_host(host: str) -> str:
    """`host` as it is written in a URL (an IPv6 address goes in brackets)."""
    bare = host.strip("[]")
    try:
        if ipaddress.ip_address(bare).version == 6:
            return f"[{bare}]"
    except ValueError:
        pass
    return host


def demo_base_url(*, host: str, port: str, base_url: str = "", lan: str | None = None) -> str:
    """The address printed in links: `base_url` when given, else http://HOST:PORT; with
    HOST=0.0.0.0 (every interface), the LAN address `lan` if known, else 127.0.0.1."""
    if base_url:
        return base_url.rstrip("/")
    if host in ALL_INTERFACES:
        host = lan or "127.0.0.1"
    return f"http://{_url_host(host)}:{port}"


def demo_allowed_hosts(*, host: str, base_url: str, lan: str | None = None) -> list[str]:
    """localhost, HOST (or the LAN address and the machine's names when HOST listens on
    every interface) and the host of the printed address."""
    hosts = list(LOCAL_HOSTS)
    if host in ALL_INTERFACES:
        name = socket.gethostname()
        hosts += [h for h in (lan, name, f"{name}.local") if h]
    else:
        hosts.append(_url_host(host))
    base_host = urlsplit(base_url).hostname
    if base_host:
        hosts.append(_url_host(base_host))
    return list(dict.fromkeys(hosts))


def persistent_secret_key(path: Path) -> str:
    """The secret key kept in `path`, generated there on first use (mode 0600).

    Written to a temporary file then linked into place: `os.link` refuses to replace an
    existing file, so two processes starting together (runserver and its reloader) end
    up reading the same key, and a crash never leaves a half-written key behind."""
    path = Path(path)
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = secrets.token_urlsafe(50)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(candidate + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


def demo_environment() -> dict:
    """HOST, PORT and BASE_URL as the Makefile passes them (`SUIVI_HOST`, `SUIVI_PORT`,
    `SUIVI_BASE_URL`), with the LAN address when HOST listens on every interface."""
    host = os.environ.get("SUIVI_HOST") or "127.0.0.1"
    port = os.environ.get("SUIVI_PORT") or "8000"
    explicit = os.environ.get("SUIVI_BASE_URL", "").strip()
    lan = lan_address() if host in ALL_INTERFACES and not explicit else None
    base_url = demo_base_url(host=host, port=port, base_url=explicit, lan=lan)
    return {"host": host, "port": port, "explicit": explicit, "lan": lan, "base_url": base_url}


def address_notice(env: dict) -> str:
    """What `make run` prints before serving (French: read by the person running the demo)."""
    lines = [f"Adresse imprimée dans les liens, calendriers et QR codes : {env['base_url']}"]
    if env["host"] in ALL_INTERFACES and not env["explicit"]:
        if env["lan"]:
            lines.append(
                f"HOST={env['host']} : le serveur écoute sur toutes les interfaces ; adresse "
                f"détectée sur le réseau local : {env['lan']}. Si les téléphones et tablettes "
                "de la salle ne la joignent pas, relancez avec "
                f"BASE_URL=http://<adresse de cette machine>:{env['port']}"
            )
        else:
            lines.append(
                f"HOST={env['host']} : aucune adresse de réseau local trouvée ; les liens "
                "pointent vers cette machine seulement. Donnez l'adresse à imprimer avec "
                f"BASE_URL=http://<adresse de cette machine>:{env['port']}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(address_notice(demo_environment()) + "\n")
