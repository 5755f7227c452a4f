"""AWS access: the only part of the grader that talks to AWS. It knows AWS, not students.

- :mod:`checks.aws.transport`: sessions, clients, retries, caching with single flight,
  paging, and the hand-off of each request to evidence being kept or replayed;
- :mod:`checks.aws.budgets`: the request rate under AWS's quotas, per account and region;
- :mod:`checks.aws.readers`: what each service holds, one class per service, each declaring
  what it knows of its service (not-found codes, what its answers hold, its rate quotas);
  an assessment's account is made of the readers its checks' reads name (:func:`account_type`);
- :mod:`checks.aws.early`: a grade's first request, sent before botocore is loaded.

The names below are loaded when first asked for (``from checks.aws import Account``): importing
this package alone, as :mod:`checks.aws.early` does, loads no botocore.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checks.aws.readers import Account, NoSuchRole, account_type
    from checks.aws.transport import (
        GRADING_CONFIG,
        NOT_KEPT,
        PREFLIGHT_CONFIG,
        AwsError,
        CannotGrade,
        Transport,
        asking,
        current_asker,
        dict_or_none,
        is_not_found,
        new_session,
        session_for,
        shared_loader,
    )

__all__ = [
    "GRADING_CONFIG",
    "NOT_KEPT",
    "PREFLIGHT_CONFIG",
    "Account",
    "AwsError",
    "CannotGrade",
    "NoSuchRole",
    "Transport",
    "account_type",
    "asking",
    "current_asker",
    "dict_or_none",
    "is_not_found",
    "new_session",
    "session_for",
    "shared_loader",
]


_FROM_READERS = frozenset({"Account", "NoSuchRole", "account_type"})  # the rest of __all__: the transport's


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'checks.aws' has no attribute {name!r}")
    module = "checks.aws.readers" if name in _FROM_READERS else "checks.aws.transport"
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
