"""The client's version: the service's (package.json), which a test holds them to."""
__version__ = "0.1.0"
