/**
 * `--cpu-prof` for processes a launcher starts (Node refuses `--cpu-prof` in NODE_OPTIONS, but
 * takes `--import` of this file): a process whose command line contains BENCH_CPU_PROF_MATCH
 * profiles itself from start to exit and writes `<pid>.cpuprofile` into BENCH_CPU_PROF_DIR.
 */
import fs from "node:fs";
import inspector from "node:inspector";
import path from "node:path";

const dir = process.env.BENCH_CPU_PROF_DIR;
const match = process.env.BENCH_CPU_PROF_MATCH ?? "";
if (dir && process.argv.some((a) => a.includes(match))) {
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.start");
  // an in-process session answers synchronously, so this completes inside the exit handler
  process.on("exit", () => {
    session.post("Profiler.stop", (err, r) => {
      if (!err) fs.writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(r.profile));
    });
  });
}
