"""``piguard serve``: the HTTP API and the staff console in one server process.

The app comes from the composition root :mod:`piguard.server`; the CLI imports neither
:mod:`piguard.api` nor :mod:`piguard.web`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from piguard.cli.options import HomeOpt, JsonOpt
from piguard.cli.output import emit, reporting, stdout
from piguard.config import home_from
from piguard.errors import ConfigError
from piguard.installation import Installation
from piguard.jobs.ticker import JobTicker


def tls_files(
    home: Path, tls: bool, cert: Path | None, key: Path | None, host: str
) -> tuple[Path, Path] | None:
    """The certificate and key to serve with, or None for plain HTTP.

    :raises ConfigError: only one of ``--cert``/``--key``, or a file that does not exist.
    """
    if (cert is None) != (key is None):
        raise ConfigError("give both --cert and --key")
    if cert is not None and key is not None:
        for path in (cert, key):
            if not path.is_file():
                raise ConfigError(f"{path} does not exist")
        return cert, key
    if not tls:
        return None
    from piguard.crypto.devcert import ensure_dev_certificate

    extra = [host] if host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::") else []  # noqa: S104
    return ensure_dev_certificate(home / "tls", extra)


#: Most worker processes ``--workers auto`` starts: past this, on one home, processes mostly wait
#: for each other's write locks (SQLite) or for database connections.
MAX_AUTO_WORKERS = 4


def worker_count(choice: str) -> int:
    """How many worker processes to run: a number, or ``auto`` (one per CPU core, at most
    :data:`MAX_AUTO_WORKERS`).

    :raises ConfigError: neither ``auto`` nor a positive whole number.
    """
    if choice == "auto":
        return max(1, min(os.cpu_count() or 1, MAX_AUTO_WORKERS))
    try:
        n = int(choice)
    except ValueError:
        n = 0
    if n < 1:
        raise ConfigError("--workers is 'auto' or a positive whole number")
    return n


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the main CLI."""

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port.", envvar="PIGUARD_PORT")] = 8700,
        tls: Annotated[
            bool,
            typer.Option("--tls", help="HTTPS with a generated development certificate (in <home>/tls)."),
        ] = False,
        cert: Annotated[
            Path | None, typer.Option("--cert", help="PEM certificate (chain) for HTTPS.")
        ] = None,
        key: Annotated[Path | None, typer.Option("--key", help="PEM private key for HTTPS.")] = None,
        workers: Annotated[
            str,
            typer.Option(
                "--workers",
                help="Worker processes on this home: a number, or auto (one per core, at most 4).",
                envvar="PIGUARD_WORKERS",
            ),
        ] = "auto",
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Start the HTTP API and the staff console (at /console)."""
        import uvicorn

        from piguard.server import create_server

        with reporting(as_json):
            where = home_from(home)
            files = tls_files(where, tls, cert, key, host)
            count = worker_count(workers)
            if count > 1:
                _serve_workers(where, count, host, port, files, as_json)
                return
            inst = Installation(where)
            # The server owns the installation: a clean stop (SIGTERM, SIGINT) closes it, which
            # signs a shutdown checkpoint over every entry and anchors it outside the database.
            api = create_server(inst, owns=True)
            scheme = "https" if files else "http"
            base = f"{scheme}://{host}:{port}"
            info: dict[str, object] = {
                "url": base,
                "console": f"{base}/console/",
                "openapi": f"{base}/openapi.json",
            }
            if files:
                info["certificate"] = str(files[0])
            info["workers"] = 1
            emit(
                info,
                as_json,
                lambda: stdout.print(f"serving on {base} (console at /console/, schema at /openapi.json)"),
            )
            # Scheduled jobs tick on every node; database leases keep each run to one node.
            interval = float(os.environ.get("PIGUARD_JOB_INTERVAL", "30"))
            ticker = JobTicker(inst.jobs, interval).start() if interval > 0 else None
            # Access logs show method and path only; paths never carry customer values (ids only),
            # and search values travel in bodies.
            try:
                uvicorn.run(
                    api,
                    host=host,
                    port=port,
                    log_level=os.environ.get("PIGUARD_LOG_LEVEL", "info"),
                    ssl_certfile=str(files[0]) if files else None,
                    ssl_keyfile=str(files[1]) if files else None,
                    server_header=False,
                )
            finally:
                if ticker is not None:
                    ticker.stop()


def _serve_workers(
    home: Path, count: int, host: str, port: int, files: tuple[Path, Path] | None, as_json: bool
) -> None:
    """``count`` worker processes on one socket; each opens the home and ticks jobs itself
    (:func:`piguard.server.node_app`), and uvicorn's supervisor restarts a worker that dies."""
    import uvicorn

    from piguard.server import HOME_ENV

    # The workers are spawned: they learn the home from the environment, not from this process.
    os.environ[HOME_ENV] = str(home)
    Installation(home).close()  # fail here, once, if the home cannot be opened
    scheme = "https" if files else "http"
    base = f"{scheme}://{host}:{port}"
    info: dict[str, object] = {"url": base, "console": f"{base}/console/", "openapi": f"{base}/openapi.json"}
    if files:
        info["certificate"] = str(files[0])
    info["workers"] = count
    emit(
        info,
        as_json,
        lambda: stdout.print(f"serving on {base} with {count} workers (console at /console/)"),
    )
    uvicorn.run(
        "piguard.server:node_app",
        factory=True,
        workers=count,
        host=host,
        port=port,
        log_level=os.environ.get("PIGUARD_LOG_LEVEL", "info"),
        ssl_certfile=str(files[0]) if files else None,
        ssl_keyfile=str(files[1]) if files else None,
        server_header=False,
    )
