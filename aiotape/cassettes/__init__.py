"""aiotape.cassettes."""
