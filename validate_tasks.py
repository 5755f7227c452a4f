#!/usr/bin/env python3
"""Grade a cloud assessment: ``python validate_tasks.py lambda_medium --help``."""

from checks.cli import run

if __name__ == "__main__":
    run()
