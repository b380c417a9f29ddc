"""Where the tail of progress writes at 200 connections comes from: the order they are served in, or the rate.

    python bench/progress_trace.py [--seconds 20]

Runs bench/progress.py's writes at 200 connections, each carrying a sequence number as its
position, and records when each was sent and when its answer arrived (wrk's Lua hooks, on
CLOCK_MONOTONIC). Prints the latency percentiles; how far the order of answers strays from the
order of sending; the p99 that the same answer times would give if the requests had been answered
strictly in the order sent; and the answers per 100 ms. When the in-order p99 is the measured one,
the tail is set by how the rate varies, not by requests overtaking each other.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import running_server, steal_text, wrk  # noqa: E402
from progress import fold_backlog, progress_script, seed  # noqa: E402

CONNECTIONS = 200
WINDOW_SECONDS = 0.1
SKIP_SECONDS = 1.0  # the first second: connections opening, caches filling

# Added to the benchmark's script, whose positions are then the requests' sequence numbers. One wrk
# thread, so that one sequence and one file cover every request.
TRACE_HOOKS = """
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } timespec_t; int clock_gettime(int, timespec_t*); ]]
local ts = ffi.new("timespec_t")
local function now() ffi.C.clock_gettime(1, ts); return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9 end
local sent = {}
local trace = io.open("%s", "w")
local next_request = request
request = function()
  local made = next_request()
  sent[counter] = now()
  return made
end
response = function(status, headers, body)
  local answered = now()
  local n = tonumber(string.match(body, '"position":(%%d+)'))
  if n and sent[n] then
    trace:write(string.format("%%d %%.6f %%.6f\\n", n, sent[n], answered))
    sent[n] = nil
  end
end
"""


def percentile(ordered: list[float], q: float) -> float:
    return ordered[round(q * (len(ordered) - 1))]


def report(trace: Path) -> None:
    requests = [(float(sent), float(answered)) for _, sent, answered in
                (line.split() for line in trace.read_text().splitlines())]
    start = min(sent for sent, _ in requests) + SKIP_SECONDS
    requests = [r for r in requests if r[0] >= start]
    latencies = sorted(1000 * (answered - sent) for sent, answered in requests)
    sending = sorted(range(len(requests)), key=lambda i: requests[i][0])
    answering = sorted(range(len(requests)), key=lambda i: requests[i][1])
    answer_rank = {request: rank for rank, request in enumerate(answering)}
    strays = sorted(abs(answer_rank[request] - rank) for rank, request in enumerate(sending))
    in_order = sorted(1000 * (requests[answering[rank]][1] - requests[request][0])
                      for rank, request in enumerate(sending))
    windows: dict[int, int] = {}
    for _, answered in requests:
        window = int((answered - start) / WINDOW_SECONDS)
        windows[window] = windows.get(window, 0) + 1
    for partial in (min(windows), max(windows)):  # the run's edges: answers to requests not counted
        del windows[partial]
    counts = sorted(windows.values())
    print(f"{len(latencies)} requests after the first {SKIP_SECONDS:.0f} s")
    print(f"latency ms:                  p50 {percentile(latencies, .5):.1f}, p90 {percentile(latencies, .9):.1f}, "
          f"p99 {percentile(latencies, .99):.1f}, max {latencies[-1]:.1f}")
    print(f"places answered out of turn: p50 {percentile(strays, .5):.0f}, p90 {percentile(strays, .9):.0f}, "
          f"p99 {percentile(strays, .99):.0f}, max {strays[-1]:.0f}")
    print(f"answered strictly in order:  p50 {percentile(in_order, .5):.1f}, p99 {percentile(in_order, .99):.1f} ms")
    print(f"answers per {1000 * WINDOW_SECONDS:.0f} ms:           min {counts[0]}, p10 {percentile(counts, .1)}, "
          f"median {percentile(counts, .5)}, max {counts[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--lessons", type=int, default=20)
    args = parser.parse_args()
    with running_server() as server, tempfile.TemporaryDirectory() as tmp:
        course_id, lessons = seed(server, args.learners, args.lessons)
        warm_up, traced, trace = Path(tmp) / "progress.lua", Path(tmp) / "trace.lua", Path(tmp) / "trace.txt"
        warm_up.write_text(progress_script(lessons, args.learners))
        traced.write_text(progress_script(lessons, args.learners, position="counter") + TRACE_HOOKS % trace)
        url = server.base + "/v1/university/lessons"
        wrk("warm-up", url, server.headers, 50, 2, warm_up)
        fold_backlog(server, course_id)
        result = wrk("traced", url, server.headers, CONNECTIONS, args.seconds, traced, threads=1)
        print(f"wrk: {result.requests_per_sec:.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
              f"host steal {steal_text(result)}")
        report(trace)


if __name__ == "__main__":
    main()
