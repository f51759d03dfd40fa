"""A progress bar on stderr (standard library only).

On a terminal it redraws one line (``\\r``) at most 10 times a second; otherwise (a log file,
CI) it prints a line every 10 %, so logs stay short."""
import sys
import threading
import time


def _fmt_s(seconds):
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "--:--"
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Progress:
    def __init__(self, label, total, stream=None, width=30, enabled=True):
        self.label, self.total = label, max(0, int(total))
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.done = 0
        self.errors = 0
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._last_decile = -1
        self._lock = threading.Lock()
        self._draw(force=True)

    def add_total(self, n):
        with self._lock:
            self.total += n

    def update(self, n=1, error=False):
        with self._lock:
            self.done += n
            if error:
                self.errors += 1
            self._draw()

    def _line(self):
        elapsed = time.monotonic() - self.started
        frac = self.done / self.total if self.total else 1.0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else None
        filled = int(self.width * min(1.0, frac))
        bar = "#" * filled + "-" * (self.width - filled)
        errs = f" errors {self.errors}" if self.errors else ""
        return (f"  {self.label:<22} [{bar}] {self.done}/{self.total} {frac * 100:5.1f}% "
                f"{rate:7.1f}/s elapsed {_fmt_s(elapsed)} eta {_fmt_s(eta)}{errs}")

    def _draw(self, force=False):
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            if force or now - self._last_draw >= 0.1 or self.done >= self.total:
                self.stream.write("\r" + self._line() + "\x1b[K")
                self.stream.flush()
                self._last_draw = now
        else:
            decile = int(10 * self.done / self.total) if self.total else 10
            if force or decile > self._last_decile:
                self._last_decile = decile
                self.stream.write(self._line() + "\n")
                self.stream.flush()

    def close(self):
        if not self.enabled:
            return
        with self._lock:
            if self.tty:
                self._draw(force=True)
                self.stream.write("\n")
            elif self._last_decile < 10:
                self.stream.write(self._line() + "\n")
            self.stream.flush()

    @property
    def elapsed(self):
        return time.monotonic() - self.started
