"""Reel's version, written into every clip's manifest."""

APP_VERSION = "0.1.0"
