"""Shared pytest configuration: hypothesis profiles and seeded generators."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# CI machines vary in speed: no per-example deadline; a moderate number of examples by
# default, more with HYPOTHESIS_PROFILE=thorough.
settings.register_profile(
    "ci", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", deadline=None, max_examples=1000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
