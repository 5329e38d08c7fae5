"""The stack's floor: the sends scenario's open-loop POSTs, at rising rates, to an app that does
nothing (bench/floor_app.py: a bare WSGI function, then an empty Flask route) under the same
gunicorn settings as Parley (gevent, one worker pinned to the server's core, 20,000 worker
connections, keep-alive 5 s, the access log to a file). No send can be cheaper than the empty
Flask route, so its figures bound the sends, chat mix and long-poll figures from below."""
import os
import subprocess
import time

from bench.client import HttpPool, Sender, summary_ms
from bench.scenarios.common import Context, figure
from bench.server import GUNICORN, ROOT, Person, Server, free_port

APPS = {"raw": "bench.floor_app:raw", "flask": "bench.floor_app:flask_app"}
SENDS_TARGET = 1500  # sends/s on SQLite (the sends scenario's target), for comparison
CPU_TARGET_MS = 1.0  # server CPU a send on SQLite (the same)


class FloorServer(Server):
    """gunicorn serving `app` ("module:callable") with Parley's settings, pinned to the
    context's server CPUs; Server's waiting, CPU reading and stopping as they are."""

    def __init__(self, ctx: Context, app: str):  # no database: not Server.__init__
        self.host, self.port = "127.0.0.1", free_port("127.0.0.1")
        self.directory = ctx.directory / f"floor-{self.port}"
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [str(GUNICORN), "--worker-class", "gevent", "--workers", "1", "--worker-connections", "20000",
                   "--keep-alive", "5", "--bind", f"{self.host}:{self.port}", "--access-logfile",
                   str(self.directory / "access.log"), app]
        if ctx.server_cpus is not None:
            command = ["taskset", "-c", ctx.server_cpus] + command
        self.log_path = self.directory / "server.log"
        self._log = open(self.log_path, "wb")
        # Run from the scratch directory, so gunicorn does not read Parley's gunicorn.conf.py
        # (its hooks start Parley's hub), and import the app from the repository.
        self.process = subprocess.Popen(command, cwd=self.directory, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_up(1)


async def _step(server: FloorServer, people: list, rate: float, seconds: float) -> dict:
    pool = HttpPool(server.host, server.port, limit=4000)
    sender = Sender(pool, server.host, server.port, people)
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    await sender.run(rate, seconds)
    drained = await sender.drain(10)
    cpu, elapsed = server.cpu_seconds() - cpu0, time.monotonic() - t0
    pool.close()
    post = summary_ms(sender.post_times)
    return {"rate": rate, "created": sender.created, "errors": sender.errors, "post_ms": post,
            "server_cpu_share": round(cpu / elapsed, 3),
            "server_cpu_ms_per_request": round(cpu / max(1, sender.created) * 1000, 3),
            "held": bool(drained and not sender.errors and post["p99"] is not None and post["p99"] < 50)}


async def stack_floor(ctx: Context) -> dict:
    """Highest rate held (p99 < 50 ms) and CPU a request, for each of APPS."""
    rates = ctx.scale([500, 1000, 1500, 2000, 2500, 3000], [200, 400])
    seconds = ctx.scale(6, 2)
    people = [Person(n, f"pat_floor{n}", n % 100) for n in range(2000)]  # the sends scenario's 2,000
    details, figures = {}, []
    for name, app in APPS.items():
        server = FloorServer(ctx, app)
        try:
            await _step(server, people, 100, 2)  # warm-up
            steps, best = [], None
            for rate in rates:
                step = await _step(server, people, rate, seconds)
                steps.append(step)
                ctx.log(f"  {name} {rate}/s: POST p99 {step['post_ms']['p99']} ms, "
                        f"{step['server_cpu_ms_per_request']} ms CPU a request")
                if not step["held"]:
                    break
                best = step
                time.sleep(0.5)
        finally:
            server.stop()
        details[name] = {"steps": steps, "best": best}
        label = "a bare WSGI app" if name == "raw" else "an empty Flask route"
        figures.append(figure(f"floor.{name}.rate", f"Reference, not Parley: POSTs/s {label} holds under the same "
                              "gunicorn (p99 < 50 ms), against the SQLite sends target", best["rate"] if best else 0,
                              "/s", SENDS_TARGET, ">="))
        figures.append(figure(f"floor.{name}.cpu", f"Reference, not Parley: server CPU a POST to {label} (at its "
                              f"highest rate held), against the SQLite send target",
                              best["server_cpu_ms_per_request"] if best else None, "ms", CPU_TARGET_MS, "<=",
                              failed=best is None))
    return {"details": details, "figures": figures}
