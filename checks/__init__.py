"""validate-tasks: grades cloud assessments by reading the student's AWS account."""

__version__ = "0.1.0"
PROG = "validate-tasks"  # the name messages start with

# Sub-packages that are the grader's own parts, not assessments.
GRADER_PACKAGES = frozenset({"aws"})


def assessment_folders() -> list[str]:
    """The sub-packages that are assessments, found without importing any (``--help`` names one)."""
    import pkgutil

    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg and m.name not in GRADER_PACKAGES)
