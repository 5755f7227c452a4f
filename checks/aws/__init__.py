"""AWS access: the only part of the grader that talks to AWS. It knows AWS, not students.

- :mod:`checks.aws.transport`: sessions, clients, retries, caching with single flight,
  paging, and the hand-off of each request to evidence being kept or replayed;
- :mod:`checks.aws.budgets`: the request rate under AWS's quotas, per account and region;
- :mod:`checks.aws.readers`: what each service holds, one class per service, together
  the :class:`Account`.
"""

from checks.aws.readers import Account, NoSuchRole
from checks.aws.transport import (
    GRADING_CONFIG,
    NOT_FOUND,
    PREFLIGHT_CONFIG,
    AwsError,
    CannotGrade,
    Transport,
    asking,
    current_asker,
    dict_or_none,
    known_regions,
    new_session,
    session_for,
    shared_loader,
)

__all__ = [
    "GRADING_CONFIG",
    "NOT_FOUND",
    "PREFLIGHT_CONFIG",
    "Account",
    "AwsError",
    "CannotGrade",
    "NoSuchRole",
    "Transport",
    "asking",
    "current_asker",
    "dict_or_none",
    "known_regions",
    "new_session",
    "session_for",
    "shared_loader",
]
