"""``python -m dropviz.bench load``: N concurrent sessions on every page, at Streamlit's websocket protocol level.

A class opens a page together, then each student moves the p slider a few times. This benchmark does exactly that
without a browser: it starts ``streamlit run app.py`` on loopback (headless, a free port, the floor page switched
on by ``DROPVIZ_BENCH_FLOOR=1``) or drives a server already running (``--url``, e.g. nginx in front of replicas),
and speaks the protocol the frontend speaks: a ``BackMsg.rerun_script`` (page name, query string, widget states,
the hashes of the large messages it already holds) per run, and ``ForwardMsg.script_finished`` as the end of a run.

Per page and N it prints one line (its format is stable, tests check it)::

    load <page> N=<n> rerun p50 <s>s p95 <s>s (<r>x <r>x floor) load p50 <s>s p95 <s>s (<r>x <r>x floor)
        kB/rerun <k> rss <MB>MB errors <e>

(on one line). Every time is also given as a ratio to the floor page's in the same run at the same N (one slider
and one 32×32 Plotly heatmap through the same app.py): the ratios, not the seconds, compare across machines and
across runs on a busy machine. ``rss`` is the server's peak resident memory while that page ran (read from
/proc; ``-`` for a server it did not start). ``kB/rerun`` is what the server sent per slider move, after the
message cache a browser keeps. A page with ``+training`` ran while a training of "Does it remember?" was on the
server's queue (started and stopped through the page's own buttons).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH_FLOOR_ENV = "DROPVIZ_BENCH_FLOOR"  # "1": the app's navigation also lists the floor page (dropviz.ui.nav)
FLOOR = "bench-floor"  # the floor page's URL path
HOME = "home"  # the default page's url_path: opened by the app's root URL
PREWARM_ENV = "DROPVIZ_PREWARM"  # dropviz.ui.prewarm: "0" turns the server's warm-up of every p step off
PREWARM_DONE = "DropViz prewarm done"  # the line it logs when every page and step is warm
TRAINING_PAGE = "rnn-memory"  # its Train button starts a training on the server's queue (the +training rows)
DEFAULT_SESSIONS = (1, 10, 30)
DEFAULT_MOVES = 5


def page_ids() -> list[str]:
    """Every page of the app by URL path, from pages/NN_<url>.py (the names dropviz.ui.nav.PAGES uses; read from
    the files so that the benchmark's client side imports no Streamlit runtime)."""
    names = sorted(f for f in os.listdir(os.path.join(ROOT, "pages")) if f.endswith(".py") and "_" in f)
    return [f.split("_", 1)[1][:-3] for f in names]


# -- one session, at the protocol level -------------------------------------------------------------


@dataclass
class Widget:
    id: str
    kind: str  # the Element field: "slider", "button", ...
    label: str
    key: str  # the URL parameter a bound widget uses ("" if none)
    proto: object


@dataclass
class Run:
    seconds: float
    bytes: int
    ok: bool
    why: str = ""


@dataclass
class Session:
    """One browser tab: a websocket to ``/_stcore/stream`` and the state the frontend keeps between runs."""

    base: str  # http://host:port[/base]
    page: str
    query: str = ""
    ws: object = None
    page_hash: str = ""
    widgets: dict[str, Widget] = field(default_factory=dict)  # by id, from the last run
    cached: set[str] = field(default_factory=set)  # hashes of cacheable messages this "browser" holds

    async def open(self, timeout: float) -> Run:
        import websockets

        parts = urlsplit(self.base)
        scheme = "wss" if parts.scheme == "https" else "ws"
        url = f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"
        t0 = time.perf_counter()
        try:
            self.ws = await asyncio.wait_for(
                websockets.connect(url, subprotocols=["streamlit"], max_size=None, ping_interval=None,
                                   compression=None), timeout)
        except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as e:
            return Run(time.perf_counter() - t0, 0, False, f"connect: {type(e).__name__}")
        run = await self.run({}, timeout - (time.perf_counter() - t0), first=True)
        run.seconds = time.perf_counter() - t0
        return run

    def _client_state(self, states: dict[str, object], first: bool):
        from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
        from streamlit.proto.WidgetStates_pb2 import WidgetStates

        name = "" if self.page == HOME else self.page  # the default page is asked for by the app's root URL
        cs = ClientState(query_string=self.query, page_name=name if first else "",
                         page_script_hash="" if first else self.page_hash,
                         widget_states=WidgetStates(widgets=list(states.values())),
                         cached_message_hashes=sorted(self.cached),
                         context_info=ContextInfo(url=f"{self.base.rstrip('/')}/{self.page}"
                                                  + (f"?{self.query}" if self.query else "")))
        return cs

    async def run(self, states: dict[str, object], timeout: float, first: bool = False) -> Run:
        """Send one rerun with these widget states; wait for its script_finished. Returns time and bytes."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        t0 = time.perf_counter()
        received = 0
        await self.ws.send(BackMsg(rerun_script=self._client_state(states, first)).SerializeToString())
        widgets: dict[str, Widget] = {}
        errors: list[str] = []
        try:
            async with asyncio.timeout(max(timeout, 0.01)):
                while True:
                    data = await self.ws.recv()
                    received += len(data)
                    msg = ForwardMsg()
                    msg.ParseFromString(data)
                    kind = msg.WhichOneof("type")
                    if msg.metadata.cacheable and msg.hash:
                        self.cached.add(msg.hash)
                    if kind == "new_session" and msg.new_session.page_script_hash:
                        self.page_hash = msg.new_session.page_script_hash
                    elif kind == "navigation" and msg.navigation.page_script_hash:
                        self.page_hash = msg.navigation.page_script_hash
                    elif kind == "page_not_found":
                        errors.append("page not found")
                    elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                        el = msg.delta.new_element
                        which = el.WhichOneof("type")
                        if which == "exception":
                            errors.append(f"exception: {el.exception.message[:80]}")
                        elif which in ("slider", "button"):
                            w = getattr(el, which)
                            widgets[w.id] = Widget(w.id, which, w.label, getattr(w, "query_param_key", ""), w)
                    elif kind == "script_finished":
                        status = msg.script_finished
                        if status == ForwardMsg.FINISHED_SUCCESSFULLY:
                            break
                        if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                            errors.append("compile error")
                            break
                        # FINISHED_EARLY_FOR_RERUN (st.rerun) or a fragment's run: the app run goes on
        except TimeoutError:
            errors.append("timeout")
        except Exception as e:  # a closed socket, a malformed frame: count it, keep the benchmark going
            errors.append(f"{type(e).__name__}")
        if widgets:
            self.widgets = widgets
        return Run(time.perf_counter() - t0, received, not errors, "; ".join(errors))

    def slider(self) -> Widget | None:
        """The page's p slider (URL key ``p``), else its first slider."""
        sliders = [w for w in self.widgets.values() if w.kind == "slider"]
        return next((w for w in sliders if w.key == "p" or w.id.endswith("-p")), sliders[0] if sliders else None)

    def button(self, label_start: str) -> Widget | None:
        return next((w for w in self.widgets.values() if w.kind == "button" and w.label.startswith(label_start)),
                    None)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def slider_state(w: Widget, value: float):
    from streamlit.proto.Common_pb2 import DoubleArray
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=w.id, double_array_value=DoubleArray(data=[value]))


def trigger_state(w: Widget):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=w.id, trigger_value=True)


def slider_values(w: Widget, session: int, moves: int) -> list[float]:
    """``moves`` slider values for session ``session``, all different from the default and stepping through the
    range (sessions start at different steps: a class does not move in lockstep)."""
    s = w.proto
    n = int(round((s.max - s.min) / s.step)) + 1 if s.step > 0 else 2
    default = s.default[0] if len(s.default) else s.min
    start = int(round((default - s.min) / s.step)) if s.step > 0 else 0
    out = []
    for k in range(moves):
        i = (start + 1 + session * 3 + k * 7) % n
        if i == start:
            i = (i + 1) % n
        out.append(round(s.min + i * s.step, 10))
    return out


def slider_steps(w: Widget) -> list[float]:
    """Every value of the slider's grid, nearest its default first (the order the server's prewarm uses)."""
    s = w.proto
    if s.step <= 0:
        return []
    n = int(round((s.max - s.min) / s.step)) + 1
    default = s.default[0] if len(s.default) else s.min
    values = [round(s.min + i * s.step, 10) for i in range(n)]
    return sorted(values, key=lambda v: (abs(v - default), v))


# -- the server ----------------------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app.py`` on loopback, headless, with the floor page; its log goes to a temporary file."""

    def __init__(self, port: int | None = None, prewarm: bool = True):
        self.port = port or free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="dropviz-load-", suffix=".log", delete=False)
        env = {**os.environ, BENCH_FLOOR_ENV: "1", PREWARM_ENV: "1" if prewarm else "0", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", os.path.join(ROOT, "app.py"), "--server.headless=true",
             f"--server.port={self.port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
             "--server.fileWatcherType=none"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}: {self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"streamlit not healthy after {timeout:.0f} s: {self.tail()}")

    def wait_prewarm(self, timeout: float) -> str:
        """Wait for the server's prewarm (dropviz.ui.prewarm) to log that it is done; return that line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.tail(20_000).splitlines():
                if PREWARM_DONE in line:
                    return line[line.index(PREWARM_DONE):]
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}: {self.tail()}")
            time.sleep(1.0)
        return f"prewarm not done after {timeout:.0f} s: measuring anyway"

    def tail(self, n: int = 2000) -> str:
        with open(self.log.name, errors="replace") as f:
            return f.read()[-n:]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        os.unlink(self.log.name)


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` in MB (from /proc; None where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class RssPeak:
    """Samples a process's RSS every 0.1 s while in use: the peak over a block of work."""

    def __init__(self, pid: int | None):
        self.pid, self.peak, self._stop = pid, None, threading.Event()

    def __enter__(self):
        if self.pid is not None:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while True:
            v = rss_mb(self.pid)
            if v is not None:
                self.peak = v if self.peak is None else max(self.peak, v)
            if self._stop.wait(0.1):
                return

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.pid is not None:
            self._thread.join()


# -- a page under N sessions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PageLoad:
    page: str
    n: int
    loads: tuple[float, ...]
    reruns: tuple[float, ...]
    rerun_bytes: tuple[int, ...]
    errors: int
    rss_mb: float | None
    why: str = ""

    def p(self, xs: tuple[float, ...], q: float) -> float:
        if not xs:
            return float("nan")
        if len(xs) == 1:
            return xs[0]
        return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1]

    @property
    def stats(self) -> tuple[float, float, float, float]:
        """rerun p50, rerun p95, load p50, load p95 (seconds)."""
        return (self.p(self.reruns, 50), self.p(self.reruns, 95), self.p(self.loads, 50), self.p(self.loads, 95))

    def line(self, floor: PageLoad | None) -> str:
        """The stable line: ``load <page> N=<n> rerun p50 … p95 … (…x …x floor) load p50 … p95 … (…x …x floor)
        kB/rerun … rss …MB errors …``."""
        r50, r95, l50, l95 = self.stats
        f = floor.stats if floor is not None else (float("nan"),) * 4

        def ratio(a: float, b: float) -> str:
            return f"{a / b:.2f}x" if b > 0 and a == a and b == b else "-"

        kb = statistics.mean(self.rerun_bytes) / 1000 if self.rerun_bytes else float("nan")
        rss = f"{self.rss_mb:.0f}MB" if self.rss_mb is not None else "-"
        why = f" ({self.why})" if self.why else ""
        return (f"load {self.page} N={self.n} rerun p50 {r50:.3f}s p95 {r95:.3f}s ({ratio(r50, f[0])} "
                f"{ratio(r95, f[1])} floor) load p50 {l50:.3f}s p95 {l95:.3f}s ({ratio(l50, f[2])} {ratio(l95, f[3])} "
                f"floor) kB/rerun {kb:.1f} rss {rss} errors {self.errors}{why}")


async def drive(base: str, page: str, n: int, moves: int, *, timeout: float, think: float,
                pid: int | None, query: str = "", offset: int = 0) -> PageLoad:
    """N sessions open ``page`` together, then each moves its slider ``moves`` times (``think`` s apart).
    Every wait is bounded by ``timeout`` (the whole page×N block is bounded by about 2×timeout)."""
    loads: list[float] = []
    reruns: list[float] = []
    nbytes: list[int] = []
    whys: list[str] = []
    deadline = time.monotonic() + 2 * timeout

    async def one(i: int) -> None:
        s = Session(base, page, query)
        try:
            r = await s.open(timeout)
            if not r.ok:
                whys.append(r.why)
                return
            loads.append(r.seconds)
            w = s.slider()
            # A page without a slider (home) gets plain reruns: what any widget there would cost at least.
            for v in slider_values(w, i + offset, moves) if w is not None else [None] * moves:
                left = deadline - time.monotonic()
                if left <= 0:
                    whys.append("time bound")
                    return
                await asyncio.sleep(think)
                r = await s.run({w.id: slider_state(w, v)} if w is not None else {}, min(timeout, left))
                if not r.ok:
                    whys.append(r.why)
                    return
                reruns.append(r.seconds)
                nbytes.append(r.bytes)
        finally:
            await s.close()

    with RssPeak(pid) as rss:
        await asyncio.gather(*(one(i) for i in range(n)))
    errors = len(whys)
    why = "; ".join(sorted(set(whys)))[:200]
    return PageLoad(page, n, tuple(loads), tuple(reruns), tuple(nbytes), errors, rss.peak, why)


class Training:
    """A training on the server's queue while other pages are measured: "Does it remember?" at a seed nobody
    trained, through its Train button; stopped through its Stop button afterwards."""

    def __init__(self, base: str, seed: int, timeout: float):
        self.session = Session(base, TRAINING_PAGE, f"seed={seed}")
        self.timeout = timeout

    async def start(self) -> str:
        r = await self.session.open(self.timeout)
        if not r.ok:
            return r.why
        train = self.session.button("Train")
        if train is None:
            return "no Train button"
        r = await self.session.run({train.id: trigger_state(train)}, self.timeout)
        return "" if r.ok and self.session.button("Stop") else (r.why or "no Stop button: not training")

    async def stop(self) -> None:
        stop = self.session.button("Stop")
        if stop is not None:
            await self.session.run({stop.id: trigger_state(stop)}, self.timeout)
        await self.session.close()


async def benchmark(base: str, pages: list[str], sessions: list[int], moves: int, *, timeout: float, think: float,
                    pid: int | None, training: bool, out=print) -> list[PageLoad]:
    results = []
    warm = Session(base, FLOOR)  # the first run of a fresh server; not measured
    await warm.open(timeout)
    await warm.close()
    for n in sessions:
        floor = await drive(base, FLOOR, n, moves, timeout=timeout, think=think, pid=pid)
        out(floor.line(floor))
        results.append(floor)
        for page in pages:
            for busy in (False, True) if training else (False,):
                trainer = None
                if busy:
                    trainer = Training(base, 1000 + len(results), timeout)
                    why = await trainer.start()
                    if why:
                        out(f"load {page}+training N={n} not measured: the training did not start ({why})")
                        await trainer.session.close()
                        continue
                # the busy pass moves to other values than the idle one (else it would only meet the cache)
                r = await drive(base, page, n, moves, timeout=timeout, think=think, pid=pid, offset=1000 * busy)
                if busy:
                    await trainer.stop()
                    r = PageLoad(f"{page}+training", *(getattr(r, f) for f in
                                                        ("n", "loads", "reruns", "rerun_bytes", "errors", "rss_mb",
                                                         "why")))
                out(r.line(floor))
                results.append(r)
    return results


async def growth(base: str, page: str, reruns: int, *, timeout: float, pid: int | None, out=print) -> float | None:
    """One session moves ``page``'s slider ``reruns`` times over every step: the server's RSS growth (MB) from
    the first to the last rerun (every p gets cached: what the caches' bounds hold back)."""
    s = Session(base, page)
    r = await s.open(timeout)
    w = s.slider()
    if not r.ok or w is None:
        out(f"load.growth {page} not measured ({r.why or 'no slider'})")
        return None
    values = slider_values(w, 0, reruns)
    before = rss_mb(pid) if pid else None
    errors = 0
    for i, v in enumerate(values):
        r = await s.run({w.id: slider_state(w, v)}, timeout)
        errors += not r.ok
        if i == 0 and pid:
            before = rss_mb(pid)
    await s.close()
    after = rss_mb(pid) if pid else None
    grown = after - before if before is not None and after is not None else None
    out(f"load.growth {page} reruns {reruns} rss {before or 0:.0f}MB -> {after or 0:.0f}MB growth "
        + (f"{grown:+.0f}MB" if grown is not None else "-") + f" errors {errors}")
    return grown


async def touch(base: str, timeout: float) -> Run:
    """Open the floor page once and leave (starts a server's first run, and with it its prewarm)."""
    s = Session(base, FLOOR)
    try:
        return await s.open(timeout)
    finally:
        await s.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dropviz.bench load", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", default=",".join(page_ids()),
                        help="comma-separated URL paths (default: every page; the floor runs anyway)")
    parser.add_argument("--sessions", default=",".join(map(str, DEFAULT_SESSIONS)), help="comma-separated N")
    parser.add_argument("--moves", type=int, default=DEFAULT_MOVES, help="slider moves per session")
    parser.add_argument("--think", type=float, default=0.5, help="seconds between one session's moves")
    parser.add_argument("--timeout", type=float, default=120.0, help="bound on one page load or rerun (s)")
    parser.add_argument("--url", help="drive this server (e.g. nginx: http://127.0.0.1:8080) instead of starting "
                        f"one; it must run with {BENCH_FLOOR_ENV}=1 for the floor page")
    parser.add_argument("--port", type=int, help="port of the server it starts (default: a free one)")
    parser.add_argument("--pid", type=int, help="with --url: the server process whose RSS to report")
    parser.add_argument("--training", action="store_true",
                        help="also measure each page while a training runs on the server's queue")
    parser.add_argument("--no-prewarm", action="store_true",
                        help=f"start the server with {PREWARM_ENV}=0 (cold caches: every new p is computed live)")
    parser.add_argument("--prewarm-timeout", type=float, default=900.0,
                        help="how long to wait for the server's prewarm before measuring (s)")
    parser.add_argument("--growth", type=int, default=0, metavar="R",
                        help="then R reruns of the first page in one session: RSS growth")
    args = parser.parse_args(argv)
    pages = [p for p in args.pages.split(",") if p]
    unknown = [p for p in pages if p not in page_ids()]
    if unknown:
        parser.error(f"unknown page(s) {', '.join(unknown)}; known: {', '.join(page_ids())}")
    sessions = [int(n) for n in args.sessions.split(",") if n]
    server = None
    if args.url:
        base, pid = args.url.rstrip("/"), args.pid
    else:
        server = Server(args.port, prewarm=not args.no_prewarm)
        base, pid = server.url, server.proc.pid
    try:
        if server is not None:
            server.wait_healthy()
            if not args.no_prewarm:  # the prewarm starts with the app's first run: open one page to start it
                asyncio.run(touch(base, args.timeout))
                t0 = time.monotonic()
                done = server.wait_prewarm(args.prewarm_timeout)
                print(f"# {done} (waited {time.monotonic() - t0:.0f} s)", flush=True)
        asyncio.run(benchmark(base, pages, sessions, args.moves, timeout=args.timeout, think=args.think, pid=pid,
                              training=args.training, out=lambda s: print(s, flush=True)))
        if args.growth:
            asyncio.run(growth(base, pages[0], args.growth, timeout=args.timeout, pid=pid,
                               out=lambda s: print(s, flush=True)))
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
