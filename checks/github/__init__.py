"""The course's official grade on GitHub: the gh client, submitting, collecting, and the late policy.
Speaks to GitHub only; reaches no AWS access and no grading."""
