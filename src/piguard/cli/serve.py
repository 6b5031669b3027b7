"""``piguard serve``: the HTTP API and the staff console in one server process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from piguard.cli.output import emit, reporting, stdout
from piguard.config import home_from
from piguard.installation import Installation

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Home directory (default $PIGUARD_HOME or ./.piguard).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the main CLI."""

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port.")] = 8700,
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Start the HTTP API (and console) server."""
        import uvicorn

        from piguard.api.app import create_app

        with reporting(as_json):
            inst = Installation(home_from(home))
            api = create_app(inst)
            emit(
                {"url": f"http://{host}:{port}", "docs": f"http://{host}:{port}/docs"},
                as_json,
                lambda: stdout.print(f"serving on http://{host}:{port} (OpenAPI at /docs)"),
            )
            # Access logs show method and path only; paths never carry customer values (ids only).
            uvicorn.run(api, host=host, port=port, log_level=os.environ.get("PIGUARD_LOG_LEVEL", "info"))
