"""The ground floor: helpers every package of the project may import, that import none of them.

* :mod:`common.files` — whole-or-absent file writes (:func:`atomic_write_bytes`, :class:`WriteFailed`);
* :mod:`common.provenance` — what made a result: the commit (:func:`git_commit`), the machine
  (:func:`machine`, :func:`cpu_model`) and the date (:func:`utc_now`);
* :mod:`common.progress` — progress lines for long loops (:func:`progress`), and the one switch
  that silences them (:func:`quiet`).

Only the standard library (and tqdm, on a terminal) is imported here, so that ``divergences``,
``gan``, ``claims``, the toys, the experiments, the figures and the benchmarks can all stand on
it without an import running back up.
"""

from .files import WriteFailed, atomic_write_bytes
from .progress import quiet  # the function progress stays common.progress.progress: the module keeps its name
from .provenance import cpu_model, git_commit, machine, utc_now

__all__ = ["WriteFailed", "atomic_write_bytes", "cpu_model", "git_commit", "machine", "quiet", "utc_now"]
