#!/usr/bin/env python3
"""Grade a cloud assessment: ``python validate_tasks.py lambda_medium --help``."""

import sys

from checks.cli import main

if __name__ == "__main__":
    sys.exit(main())
