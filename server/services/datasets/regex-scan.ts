import vm from "node:vm";
import { AppError } from "@statescope/core";

/**
 * How long one token search may run its regular expression. A pattern with nested repeats
 * ((a+)+, (.|..)*) can backtrack for longer than the universe exists, on the web server's only
 * thread, for every member at once; Node's script watchdog stops it, backtracking included.
 */
export const SEARCH_TIME_LIMIT_MS = 2000;

// compiled once; it runs in a context of its own so that the watchdog's timeout applies to it
const LOOP = new vm.Script("for (let m = re.exec(text); m !== null && visit(m.index, m[0].length); m = re.exec(text));");

/**
 * Calls `visit(index, length)` for each match of the global (or sticky) `re` in `text`, from
 * `re.lastIndex` on, while `visit` returns true (it may move `re.lastIndex`). A scan that runs
 * longer than `ms` is stopped with an error that names the pattern and says how to fix it.
 */
export function scanMatches(re: RegExp, text: string, visit: (index: number, length: number) => boolean, ms = SEARCH_TIME_LIMIT_MS): void {
  try {
    LOOP.runInNewContext({ re, text, visit }, { timeout: ms });
  } catch (e) {
    if (e && typeof e === "object" && "code" in e && e.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") {
      throw new AppError(
        "BAD_INPUT",
        `the search for /${re.source}/ took longer than ${ms / 1000} s over ${text.length.toLocaleString("en")} characters and was stopped: simplify the pattern (nested repeats like (a+)+ or (.|..)* can run for ever)`,
      );
    }
    throw e;
  }
}
