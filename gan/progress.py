"""What a run shows while it trains: a banner saying what it is about to do, then a progress bar
on a terminal, or one line per metrics flush (with the elapsed time and an ETA) otherwise (a log
file, a batch job's output)."""

from __future__ import annotations

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
    """One line of progress: step, critic statistic, speed, and quality when evaluated."""
    key = "em_estimate" if "em_estimate" in row else "js_lower_bound"
    text = (f"step {row['step']}/{total_steps} critic steps {row['critic_steps']} "
            f"{key} {row[key]:.4g} loss_g {row['loss_g']:.4g} {row['images_per_sec']:.0f} img/s")
    if "fd" in row:
        text += f" FD {row['fd']:.3g} KID {row['kid']:.3g}"
    return text


def millions(n: int) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e5 else f"{n:,}"


def banner(fields: dict[str, str]) -> str:
    """The start banner: one ``name  value`` line per field, aligned."""
    width = max(len(k) for k in fields)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in fields.items())


class Progress:
    """Critic steps done out of ``total`` (a bar on a terminal) and the latest metrics row.

    Off a terminal each report is a line with the elapsed time of this process and an ETA from
    its pace so far (critic steps per second: the reference schedule's 100-step phases count
    for what they cost). ``show=False`` (other ranks, library calls) shows nothing.
    """

    def __init__(self, total: int, done: int, total_steps: int, desc: str, show: bool = True):
        self.show, self.total, self.total_steps = show, total, total_steps
        self.done = self.done_at_start = done
        self.t0 = time.perf_counter()
        self.tty = show and sys.stderr.isatty()
        self.bar = tqdm(total=total, initial=done, unit="critic step", dynamic_ncols=True,
                        disable=not self.tty, desc=desc)

    def update(self, critic_steps: int) -> None:
        self.done += critic_steps
        self.bar.update(critic_steps)

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
        line = describe_row(rows[-1], self.total_steps)
        if self.tty:
            self.bar.set_postfix_str(line.split(" ", 2)[2][:70])
        else:
            print(f"{line} {self.timing()}", flush=True)

    def close(self) -> None:
        self.bar.close()
