"""validate-tasks: grades cloud assessments by reading the student's AWS account."""

__version__ = "0.1.0"
PROG = "validate-tasks"  # the name messages start with
