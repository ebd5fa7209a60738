"""aiotape.mocking."""
