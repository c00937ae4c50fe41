"""`make serve`: check where the service may listen, then run it with uvicorn.

The service listens on loopback unless told otherwise. Anywhere else it
speaks HTTPS itself (SERVICE_TLS_CERT_FILE and SERVICE_TLS_KEY_FILE), or
sits behind a proxy that does and is named in SERVICE_TRUSTED_PROXIES; it
refuses to start in the open without either, and says so in one line.
"""

from __future__ import annotations

import argparse
import ipaddress
from collections.abc import Callable, Sequence

import uvicorn

from ..cli import ArgumentParser, run_command_line
from ..model_store import ModelIntegrityError
from ..settings import HardenedSettings, SettingsError
from .app import ServiceModel, create_app
from .monitoring import security_event

# The widest network SERVICE_TRUSTED_PROXIES may name, by IP version.
_NARROWEST = {4: 16, 6: 48}
# Seconds an idle keep-alive connection is kept, and a TLS handshake may take.
KEEP_ALIVE_SECONDS = 5
# Modern TLS only: forward-secret AEAD suites (TLS 1.3's are always on).
TLS_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def trusted_proxies(settings: HardenedSettings) -> list[str]:
    """SERVICE_TRUSTED_PROXIES as addresses or networks; never everyone."""
    proxies = settings.service_list("trusted_proxies")
    for proxy in proxies:
        try:
            network = ipaddress.ip_network(proxy)  # strict: 10.0.0.1/8 is a typo, refused
        except ValueError:
            raise SettingsError(
                "SERVICE_TRUSTED_PROXIES: each entry must be an IP address or network "
                "(such as 10.0.0.5 or 10.0.0.0/24), with no host bits set"
            ) from None
        # A wide network, or one split in parts, would believe anyone's
        # X-Forwarded-For: the client would choose the address it is counted as.
        if (
            network.prefixlen < _NARROWEST[network.version]
            or network.network_address.is_unspecified
        ):
            raise SettingsError(
                "SERVICE_TRUSTED_PROXIES: name the proxies' own addresses, or networks no "
                "wider than /16 (IPv4) or /48 (IPv6)"
            )
    return proxies


def check_listening(settings: HardenedSettings) -> None:
    """Refuse to serve in clear text on anything but loopback, unless behind a trusted proxy."""
    for origin in settings.service_list("allowed_origins"):
        if not origin.startswith("https://") or origin.count("/") != 2:
            raise SettingsError(
                "SERVICE_ALLOWED_ORIGINS: each origin must be https://host[:port], nothing more"
            )
    proxies = trusted_proxies(settings)
    tls = settings.service_tls_cert_file is not None
    if tls:
        for name in ("service_tls_cert_file", "service_tls_key_file"):
            if not getattr(settings, name).is_file():
                raise SettingsError(f"{name.upper()}: no such file")
    if not is_loopback(settings.service_host) and not tls and not proxies:
        raise SettingsError(
            "SERVICE_HOST is not a loopback address and there is no TLS: set "
            "SERVICE_TLS_CERT_FILE and SERVICE_TLS_KEY_FILE, or SERVICE_TRUSTED_PROXIES "
            "to the proxy that terminates TLS in front of the service"
        )


def serve(settings: HardenedSettings, served: ServiceModel) -> int:
    check_listening(settings)
    if settings.signing_key() is None:
        # A checksum anyone who can write models/ can recompute proves nothing.
        raise SettingsError(
            "MODEL_SIGNING_KEY is not set: the service serves signed models only; "
            "run `make keygen`, then `make run` to sign the model"
        )
    proxies = trusted_proxies(settings)
    try:
        app = create_app(settings, served)
    except ModelIntegrityError:
        security_event("model_refused", file=served.model_file.name)
        raise
    tls = settings.service_tls_cert_file is not None
    uvicorn.run(
        app,
        host=settings.service_host,
        port=settings.service_port,
        ssl_certfile=settings.service_tls_cert_file if tls else None,
        ssl_keyfile=settings.service_tls_key_file if tls else None,
        ssl_ciphers=TLS_CIPHERS,
        # X-Forwarded-For and -Proto only from the proxies named; none by default.
        proxy_headers=bool(proxies),
        forwarded_allow_ips=",".join(proxies) if proxies else "",
        server_header=False,
        limit_concurrency=settings.service_max_connections,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        # Logging is the project's, already set up: redacted, text or JSON.
        log_config=None,
    )
    return 0


def run_service(
    served: Callable[[HardenedSettings], ServiceModel],
    settings_class: type[HardenedSettings],
    argv: Sequence[str] | None = None,
) -> int:
    """The ``serving.py`` entry point: settings, logging and failures as every command has."""
    parser = ArgumentParser(description="Serve the model (`make serve`); settings in .env")

    def handler(args: argparse.Namespace, settings: HardenedSettings) -> int:
        return serve(settings, served(settings))

    parser.set_defaults(handler=handler, failure="The service cannot start")
    return run_command_line(parser, argv, settings_class)
