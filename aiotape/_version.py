"""aiotape's version, in a module of its own: read without importing the client."""

VERSION = "0.1.0"
