"""A tiny progress bar for long management commands (tqdm is not a runtime dependency)."""

import time

from django.core.management.base import OutputWrapper


def _duration(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """`label [#####.....] done/total  rate/s  ETA m:ss`, redrawn in place with \\r on a terminal.

    Off a terminal (CI logs, pipes) it writes a plain line every tenth of the way instead, so logs
    do not fill with carriage returns. Redraws are throttled; `close` always draws the final state.
    """

    WIDTH = 30

    def __init__(
        self, stream: OutputWrapper, *, total: int, label: str, enabled: bool = True
    ) -> None:
        self.stream = stream
        self.total = max(total, 0)
        self.label = label
        self.enabled = enabled and total > 0
        self.done = 0
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._last_tenth = -1
        self.interactive = stream.isatty()

    def update(self, done: int) -> None:
        self.done = min(done, self.total)
        if not self.enabled:
            return
        if self.interactive:
            now = time.monotonic()
            if now - self._last_draw >= 0.1:
                self._last_draw = now
                self._draw(end="")
        else:
            tenth = self.done * 10 // self.total
            if tenth > self._last_tenth and self.done < self.total:
                self._last_tenth = tenth
                self._draw(end="\n")

    def close(self) -> None:
        if self.enabled:
            self._draw(end="\n")

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        filled = self.WIDTH * self.done // self.total if self.total else self.WIDTH
        bar = "#" * filled + "." * (self.WIDTH - filled)
        if self.done >= self.total:
            tail = f"in {_duration(elapsed)}"
        elif rate > 0:
            tail = f"ETA {_duration((self.total - self.done) / rate)}"
        else:
            tail = "ETA --:--"
        speed = f"{rate:,.1f}" if rate < 10 else f"{rate:,.0f}"
        return f"{self.label} [{bar}] {self.done:,}/{self.total:,}  {speed}/s  {tail}"

    def _draw(self, *, end: str) -> None:
        prefix = "\r" if self.interactive else ""
        # Pad so a shorter line fully overwrites a longer previous one.
        self.stream.write(f"{prefix}{self.line():<90}", ending=end)
        self.stream.flush()
