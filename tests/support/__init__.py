"""Helpers the tests share: plain functions and classes; the fixtures stay in the conftest files."""
