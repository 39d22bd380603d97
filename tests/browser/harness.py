"""Running the ``arb`` under test for the browser: ``served(...)`` starts an ``arb`` command with the control API
on a free loopback port as a real subprocess and yields a :class:`Served` once the API listens (its base URL read
from the ``api: listening on …`` line the command prints on stderr)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from tests.kit.run import start_arb

LISTENING = re.compile(r"api: listening on (http://\S+)")


@dataclass
class Served:
    """A running ``arb`` with the API: its process, base URL and what it printed on stderr so far."""

    proc: asyncio.subprocess.Process
    url: str = ""
    stderr: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    async def stop(self) -> int:
        """SIGTERM (as Ctrl-C would), then the exit code; a process that hangs is killed and fails the test."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError("arb did not stop within 30 s of SIGTERM") from None
        if self.reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.reader, 5)
        return code

    def err(self) -> str:
        return "".join(self.stderr)


@contextlib.asynccontextmanager
async def served(*args: str, env: dict[str, str], timeout_s: float = 30) -> AsyncIterator[Served]:
    """``arb *args --api 127.0.0.1:0`` as a subprocess; yields once the API listens (stderr is collected)."""
    proc = await start_arb(*args, "--api", "127.0.0.1:0", env=env, stdout=asyncio.subprocess.DEVNULL)
    s = Served(proc)
    found: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def read() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            line = raw.decode(errors="replace")
            s.stderr.append(line)
            m = LISTENING.search(line)
            if m and not found.done():
                found.set_result(m.group(1))
        if not found.done():
            found.set_exception(AssertionError(f"arb exited before its API listened:\n{s.err()}"))

    s.reader = asyncio.create_task(read())
    try:
        s.url = await asyncio.wait_for(asyncio.shield(found), timeout_s)
        yield s
    finally:
        await s.stop()
