"""The AWS CLI, imported once and forked for each command: the hint tests run many commands.

``python tests/aws_cli_server.py SOCKET`` imports the AWS CLI (awscli, the package the ``aws``
command runs), then for each connection on the Unix socket forks a child that takes the
caller's argv, environment, working folder and its stdin/stdout/stderr (passed as file
descriptors), runs ``awscli.clidriver.create_clidriver().main(argv)`` exactly as ``aws`` would,
and answers its exit code. ``CLIENT`` is the ``aws`` command that talks to it. Importing the
CLI is most of what an ``aws`` process costs; the command itself, its parsing, its requests
and its output are the CLI's own.
"""

from __future__ import annotations

import json
import os
import socket
import sys

CLIENT = """#!{python} -S
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect({path!r})
argv = ["--endpoint-url", os.environ["AWS_ENDPOINT_URL"], *sys.argv[1:]]
payload = json.dumps({{"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}}).encode()
socket.send_fds(s, [payload], [0, 1, 2])
s.shutdown(socket.SHUT_WR)
answer = b""
while chunk := s.recv(64):
    answer += chunk
sys.exit(int(answer or b"255"))
"""


# The services the tests' commands use: their models are read once, before any fork.
SERVICES = ("lambda", "sqs", "iam", "ec2", "cloudwatch", "application-autoscaling", "logs", "sts")


def _read_once() -> None:
    """Each data file botocore reads (service models, the CLI's own) is parsed once in this process and
    handed to every forked command as it is: the same data the CLI would read, without the parsing."""
    import botocore.loaders

    read = botocore.loaders.Loader.load_data_with_path
    parsed: dict[tuple[tuple[str, ...], str], object] = {}

    def load_data_with_path(self: botocore.loaders.Loader, name: str) -> object:
        key = (tuple(self.search_paths), name)
        if key not in parsed:
            parsed[key] = read(self, name)
        return parsed[key]

    botocore.loaders.Loader.load_data_with_path = load_data_with_path  # type: ignore[method-assign]


def serve(path: str) -> None:
    import awscli.clidriver  # the cost of an `aws` process, paid once

    _read_once()
    warm = awscli.clidriver.create_clidriver()
    for service in SERVICES:  # parsed here, in the parent: every child finds them read
        warm.session.get_service_model(service)
        warm.session.get_paginator_model(service)
        if service in ("lambda", "iam"):  # the waiters the fixes use: function-updated-v2, role-exists
            warm.session.get_waiter_model(service)

    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        if os.fork() == 0:
            server.close()
            message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
            request = json.loads(message)
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
                os.close(fd)
            os.chdir(request["cwd"])
            data_path = os.environ.get("AWS_DATA_PATH", "")  # set by importing awscli: where its own data is
            os.environ.clear()
            os.environ.update(request["env"])
            os.environ.setdefault("AWS_DATA_PATH", data_path)
            try:
                code = awscli.clidriver.create_clidriver().main(request["argv"])
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            except BaseException:
                code = 255
            sys.stdout.flush()
            sys.stderr.flush()
            conn.sendall(str(code).encode())
            os._exit(0)
        conn.close()
        while True:  # reap the children that have finished
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break


if __name__ == "__main__":
    serve(sys.argv[1])
