"""What a run shows while it trains: a banner saying what it is about to do, then a progress bar
on a terminal, or one line per metrics flush (with the elapsed time and an ETA) otherwise (a log
file, a batch job's output)."""

from __future__ import annotations

import math
import sys
import time

from tqdm.auto import tqdm


def duration(seconds: float) -> str:
    """``3h02m``, ``4m05s``, ``12s``."""
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def describe_row(row: dict, total_steps: int) -> str:
    """One line of progress: the step, the critic's statistic (the discriminator's loss Loss_D and
    accuracy for the GAN, as pytorch/examples' dcgan prints them), the generator's loss, the speed,
    and quality when evaluated."""
    if "em_estimate" in row:
        stats = f"EM estimate {row['em_estimate']:.4g}"
    else:  # js_lower_bound = ln 2 - Loss_D / 2, Loss_D the discriminator's cross-entropy
        stats = f"Loss_D {2 * (math.log(2) - row['js_lower_bound']):.4g} JS bound {row['js_lower_bound']:.4g}"
        if row.get("d_accuracy") is not None:
            stats += f" D accuracy {row['d_accuracy']:.2f}"
    text = (f"step {row['step']}/{total_steps} critic steps {row['critic_steps']} {stats} "
            f"loss_G {row['loss_g']:.4g} {row['images_per_sec']:.0f} img/s")
    if "fd" in row:
        text += f" FD {row['fd']:.3g} KID {row['kid']:.3g}"
    return text


def short_row(row: dict) -> str:
    """The latest numbers for the bar's postfix, short enough for an 80-column terminal."""
    if "em_estimate" in row:
        text = f"EM {row['em_estimate']:.3g}"
    else:
        text = f"Loss_D {2 * (math.log(2) - row['js_lower_bound']):.3g}"
    text += f" G {row['loss_g']:.3g}"
    if "fd" in row:
        text += f" FD {row['fd']:.3g}"
    return text


def millions(n: int) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e5 else f"{n:,}"


def banner(fields: dict[str, str]) -> str:
    """The start banner: one ``name  value`` line per field, aligned."""
    width = max(len(k) for k in fields)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in fields.items())


class Progress:
    """Generator steps done out of ``total_steps`` (a bar on a terminal) and the latest metrics row.

    The bar counts generator steps, as the run's ``--generator-steps`` does (a resumed run starts
    where it stopped), and is drawn at the first step, after the start banner. The ETA is paced
    by critic steps (``critic_total``, ``critic_done``: the reference schedule's 100-step phases
    count for what they cost). Off a terminal each report is a line with the elapsed time of this
    process and that ETA. ``show=False`` (other ranks, library calls) shows nothing.
    """

    def __init__(self, critic_total: int, critic_done: int, total_steps: int, desc: str, show: bool = True,
                 done_steps: int = 0):
        self.show, self.total, self.total_steps = show, critic_total, total_steps
        self.done = self.done_at_start = critic_done
        self.steps = done_steps
        self.desc = desc
        self.t0 = time.perf_counter()
        self.tty = show and sys.stderr.isatty()
        self.bar = None  # drawn at the first step: after the banner

    def _bar(self):
        if self.bar is None:
            import shutil

            # a terminal that reports no size (a bare pseudo-terminal) gets 80 columns, not an empty bar
            sized = shutil.get_terminal_size((0, 0)).columns > 0
            self.bar = tqdm(total=self.total_steps, initial=self.steps, unit="step", dynamic_ncols=sized,
                            ncols=None if sized else 80, disable=not self.tty, desc=self.desc, file=sys.stderr)
        return self.bar

    def update(self, critic_steps: int, steps: int = 1) -> None:
        bar = self._bar()  # drawn at the steps done before this one
        self.done += critic_steps
        self.steps += steps
        bar.update(steps)

    def timing(self) -> str:
        """``elapsed 1m05s eta 4m10s`` (the ETA once some steps were timed)."""
        elapsed = time.perf_counter() - self.t0
        text = f"elapsed {duration(elapsed)}"
        if self.done > self.done_at_start and elapsed > 0:
            rate = (self.done - self.done_at_start) / elapsed
            text += f" eta {duration((self.total - self.done) / rate)}"
        return text

    def report(self, rows: list[dict]) -> None:
        """The last of the rows just written: in the bar's postfix, or as a line on stdout."""
        if not rows or not self.show:
            return
        if self.tty:
            self._bar().set_postfix_str(short_row(rows[-1]), refresh=True)
        else:
            print(f"{describe_row(rows[-1], self.total_steps)} {self.timing()}", flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
