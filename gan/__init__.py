"""The WGAN trainer (Algorithm 1 of Arjovsky et al. 2017) and the DCGAN baseline, with their
models, data, checkpoints and quality metrics; ``python -m gan.train``."""

from divergences import __version__  # one version for the whole toolkit

__all__ = ["__version__"]
