"""The kit: pieces an assessment over a service needs again and again, to import instead of copy.

- :mod:`checks.kit.functions` — Lambda: a function's kind (named, listed, found in other regions,
  made by a fix), the busy rule its fix blocks wait by, zipping code in a fix, the execution role a
  new function gets (made when missing), a function's setting checked with its fix, the role's
  permissions as IAM decides them;
- :mod:`checks.kit.queues` — SQS: a queue's kind, its attributes in the AWS CLI's shorthand, and the
  fixes that make or set a queue.

Each piece uses the authoring API only (:mod:`checks.student`, :mod:`checks.fix`, :mod:`checks.model`,
:mod:`checks.iam`): a kit never reaches the grader, an output or AWS access.
"""
