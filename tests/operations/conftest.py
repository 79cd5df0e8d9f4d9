"""Fixtures of the operations tests: the Quzhou world of the subsidy tests."""

from tests.subsidy.conftest import qz  # noqa: F401
