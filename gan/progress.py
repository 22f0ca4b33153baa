"""What a run shows while it trains: a progress bar on a terminal, one line per metrics flush
otherwise (a log file, a batch job's output)."""

from __future__ import annotations

import sys

from tqdm.auto import tqdm


def describe_row(row: dict, total_steps: int) -> str:
    """One line of progress: step, critic statistic, speed, and quality when evaluated."""
    key = "em_estimate" if "em_estimate" in row else "js_lower_bound"
    text = (f"step {row['step']}/{total_steps} critic steps {row['critic_steps']} "
            f"{key} {row[key]:.4g} loss_g {row['loss_g']:.4g} {row['images_per_sec']:.0f} img/s")
    if "fd" in row:
        text += f" FD {row['fd']:.3g} KID {row['kid']:.3g}"
    return text


class Progress:
    """Critic steps done out of ``total`` (a bar on a terminal) and the latest metrics row.

    ``show=False`` (other ranks, library calls) shows nothing.
    """

    def __init__(self, total: int, done: int, total_steps: int, desc: str, show: bool = True):
        self.show, self.total_steps = show, total_steps
        self.tty = show and sys.stderr.isatty()
        self.bar = tqdm(total=total, initial=done, unit="critic step", dynamic_ncols=True,
                        disable=not self.tty, desc=desc)

    def update(self, critic_steps: int) -> None:
        self.bar.update(critic_steps)

    def report(self, rows: list[dict]) -> None:
        """The last of the rows just written: in the bar's postfix, or as a line on stdout."""
        if not rows or not self.show:
            return
        line = describe_row(rows[-1], self.total_steps)
        if self.tty:
            self.bar.set_postfix_str(line.split(" ", 2)[2][:70])
        else:
            print(line, flush=True)

    def close(self) -> None:
        self.bar.close()
