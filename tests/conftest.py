"""Shared fixtures: one headless Chromium for every browser test of the run."""

import pytest

from browser import launch


@pytest.fixture(scope="session")
def browser():
    yield from launch()
