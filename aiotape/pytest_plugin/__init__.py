"""aiotape's pytest plugin (entry point ``pytest11``): options, markers and fixtures."""
