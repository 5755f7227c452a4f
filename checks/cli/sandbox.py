"""``sandbox``: a local AWS endpoint on loopback to practise on with the AWS CLI."""

from __future__ import annotations

from collections.abc import Sequence

from checks.cli.common import _Parser, invoked_as
from checks.errors import BadInput


def sandbox_command(argv: Sequence[str]) -> int:
    p = _Parser(
        prog=f"{invoked_as()} sandbox",
        description="A local AWS endpoint on 127.0.0.1 (moto, in memory) to "
        "practise the assessment on with the AWS CLI, then grade with --endpoint-url.",
    )
    p.add_argument("--port", type=int, default=4566, help="port to listen on (default 4566; 0 picks a free one)")
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        raise BadInput(f"--port {args.port} is not a port number")
    from checks.standin.sandbox import serve

    return serve(args.port)
