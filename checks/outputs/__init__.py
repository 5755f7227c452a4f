"""Where a grade goes: the reporters (a renderer per format), the sinks (stdout, files, folders), the
gradebook and report folders, and --watch's screen. Each reads finished reports only."""
