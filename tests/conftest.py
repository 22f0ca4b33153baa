"""Shared pytest configuration: hypothesis profiles and seeded generators."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# CI machines vary in speed: no per-example deadline. The default profile is derandomised
# (the same examples on every run, so CI is reproducible); HYPOTHESIS_PROFILE=thorough
# explores 1000 fresh random examples per property.
settings.register_profile(
    "ci", deadline=None, max_examples=60, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", deadline=None, max_examples=1000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
