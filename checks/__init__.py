"""validate-tasks: grades cloud assessments by reading the student's AWS account."""

__version__ = "0.1.0"
PROG = "validate-tasks"  # the name messages start with


def assessment_folders() -> list[str]:
    """The assessments shipped here: each package under ``checks/assessments``, found without importing any
    (``--help`` names one)."""
    import os
    import pkgutil

    folder = os.path.join(os.path.dirname(__file__), "assessments")
    return sorted(m.name for m in pkgutil.iter_modules([folder]) if m.ispkg)
