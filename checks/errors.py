"""The errors every part may raise to the command line, beside those of AWS access (:mod:`checks.aws`)."""


class BadInput(Exception):
    """The user's input is wrong: exit 2 with this one line."""


class NotInstalled(Exception):
    """This machine's installation cannot run it (a package missing, or too old): one line, exit 3."""


class GitHubError(Exception):
    """Submitting or collecting through GitHub cannot go on: one line, and the exit code that says why."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class RegistryError(Exception):
    """An assessment is built or installed wrong (a duplicate check id, a task with no checks, an entry
    point that cannot load): one line, exit 3."""
