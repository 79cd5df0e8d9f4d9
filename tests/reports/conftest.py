"""Fixtures of the reports tests: the Quzhou world of the subsidy tests."""

from tests.subsidy.conftest import qz  # noqa: F401
