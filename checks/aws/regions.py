"""botocore's own files, read without loading botocore: the regions AWS has, its certificates.

The command line checks a region before anything else is loaded, so that a typo is refused at
once and the first request can leave before botocore is imported (:mod:`checks.aws.early`).
"""

from __future__ import annotations

import json
import os
from importlib.util import find_spec

_known: frozenset[str] | None = None


def botocore_folders() -> list[str]:
    """Where the botocore package is installed (found, not imported)."""
    spec = find_spec("botocore")
    return list(spec.submodule_search_locations or []) if spec else []


def known_regions() -> frozenset[str]:
    """Every region of every partition botocore knows (``partitions.json``, the file its endpoint rules use)."""
    global _known
    if _known is None:
        found: set[str] = set()
        for folder in botocore_folders():
            try:
                with open(os.path.join(folder, "data", "partitions.json"), encoding="utf-8") as f:
                    data = json.load(f)
            except (OSError, ValueError):
                continue
            found |= {r for p in data.get("partitions", []) for r in p.get("regions", {}) if not r.endswith("-global")}
        _known = frozenset(found)
    return _known
