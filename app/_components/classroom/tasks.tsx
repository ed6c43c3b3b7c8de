"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { writeClassControls, type LocalPresence } from "@statescope/collab";
import { errorMessage, useTRPC, useTRPCClient } from "@/app/_lib/trpc";
import type { AnswerView, TaskView } from "@/server/services/classroom/schemas";
import type { Room } from "@/app/_components/room/use-room";

type Aggregate = NonNullable<TaskView["aggregate"]>;

/**
 * The session's tasks, read again when the staff change them (the room's `tasks` stamp) and, for
 * staff (`room`), whenever the server signals that answers were stored (MESSAGE_SIGNAL `tasks`:
 * at most one read in flight, one more after it when signalled meanwhile). While the room's
 * connection is not live no signal comes: the staff's page then reads every second, and once
 * more when it is live again (signals sent meanwhile were missed).
 */
function useTasks(sessionId: string, stamp: number, room: Room | null) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const live = room?.phase.kind === "live";
  const q = useQuery({ ...trpc.classroom.tasks.queryOptions({ sessionId }), refetchInterval: room && !live ? 1000 : false });
  useEffect(() => {
    if (stamp) void qc.invalidateQueries({ queryKey: trpc.classroom.tasks.queryKey({ sessionId }) });
  }, [stamp, qc, trpc, sessionId]);
  const signals = room?.signals;
  useEffect(() => {
    if (!signals || !live) return;
    const queryKey = trpc.classroom.tasks.queryKey({ sessionId });
    let reading = false;
    let again = false;
    const read = () => {
      if (reading) return void (again = true);
      reading = true;
      void qc.refetchQueries({ queryKey, exact: true }).finally(() => {
        reading = false;
        if (again) {
          again = false;
          read();
        }
      });
    };
    read(); // live (again): what was signalled while it was not
    signals.addEventListener("tasks", read);
    return () => signals.removeEventListener("tasks", read);
  }, [signals, live, qc, trpc, sessionId]);
  return q;
}

/** Bars of how often each cell was chosen, the density strip of brushed ranges, agreement; or a poll's bars. */
export function AggregateView({ task, agg }: { task: TaskView; agg: Aggregate }) {
  if (task.kind === "POLL") {
    const most = Math.max(1, ...agg.votes);
    return (
      <div className="class-agg" data-testid="class-aggregate">
        {task.options.map((o, i) => (
          <div key={i} className="agg-row" data-testid={`poll-bar-${i}`} data-count={agg.votes[i] ?? 0}>
            <span className="agg-label">{o}</span>
            <span className={(agg.votes[i] ?? 0) > 0 ? "agg-bar" : "agg-bar none"} style={{ width: `${((agg.votes[i] ?? 0) / most) * 100}%` }} />
            <span className="agg-n">{agg.votes[i] ?? 0}</span>
          </div>
        ))}
      </div>
    );
  }
  const most = Math.max(1, ...agg.cells.map((c) => c.count));
  const dens = Math.max(1, ...agg.density);
  return (
    <div className="class-agg" data-testid="class-aggregate" data-answers={agg.answers}>
      <div className="agg-title">Cells chosen</div>
      {agg.cells.length === 0 && <p className="muted">No cells yet.</p>}
      {agg.cells.slice(0, 12).map((c) => (
        <div key={c.cell} className="agg-row" data-testid={`cell-bar-${c.cell}`} data-count={c.count}>
          <span className="agg-label mono">cell {c.cell}</span>
          <span className="agg-bar" style={{ width: `${(c.count / most) * 100}%` }} />
          <span className="agg-n">{c.count}</span>
        </div>
      ))}
      <div className="agg-title">Where ranges were brushed</div>
      <svg className="agg-density" viewBox={`0 0 ${agg.density.length} 10`} preserveAspectRatio="none" role="img" aria-label="How many answers brushed each part of the token axis" data-testid="class-density">
        {agg.density.map((d, i) => (
          <rect key={i} x={i} y={0} width={1} height={10} fill="#2f6fdf" opacity={d / dens} />
        ))}
      </svg>
      {agg.agreement && (
        <p className="agg-agree" data-testid="class-agreement">
          {agg.agreement.count} of {agg.answers} chose the same cells ({agg.agreement.cells.slice(0, 8).join(", ")}
          {agg.agreement.cells.length > 8 ? ", …" : ""})
        </p>
      )}
    </div>
  );
}

/** When a timed question stops taking answers. */
function Closes({ at }: { at: Date | null }) {
  if (!at) return null;
  const closed = at.getTime() < Date.now();
  return <span className={closed ? "class-closed" : "muted"}>{closed ? "answers closed" : `answers until ${at.toLocaleTimeString("en-GB")}`}</span>;
}

const describeAnswer = (a: AnswerView, t: TaskView) =>
  t.kind === "POLL" ? (t.options[a.choice ?? -1] ?? "?") : `${a.range ? `tokens ${a.range[0]}–${a.range[1] - 1}` : "no range"} · cells ${a.cells.slice(0, 6).join(", ")}${a.cells.length > 6 ? "…" : ""} · threshold ${a.threshold ?? "?"}`;

/** The staff's panel: pose a question or a poll, watch answers arrive, reveal, spotlight an answer on everyone's screen. */
export function StaffTasks({
  sessionId,
  workspace,
  datasetId,
  room,
  stamp,
  onSpotlight,
}: {
  sessionId: string;
  workspace: string;
  datasetId: string;
  room: Room | null;
  stamp: number;
  onSpotlight: (a: AnswerView, named: boolean) => void;
}) {
  const client = useTRPCClient();
  const tasks = useTasks(sessionId, stamp, room);
  const [kind, setKind] = useState<"VIEW" | "POLL">("VIEW");
  const [prompt, setPrompt] = useState("");
  const [options, setOptions] = useState("");
  const [seconds, setSeconds] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [named, setNamed] = useState(false);
  const [saved, setSaved] = useState<Record<string, string>>({});
  /** An answer becomes a hypothesis of the workspace (an EDITOR's right: a TA who is not one is refused, and told). */
  const keep = async (a: AnswerView, prompt: string) => {
    if (!a.range || !a.source || a.threshold === null) return;
    try {
      await client.hypothesis.create.mutate({ workspace, datasetId, name: `${a.name}: ${prompt}`.slice(0, 120), source: a.source, start: a.range[0], end: a.range[1], padLeft: 0, padRight: 0, cells: a.cells, threshold: a.threshold, description: a.text });
      setSaved((x) => ({ ...x, [a.id]: "saved as a hypothesis" }));
    } catch (e) {
      setSaved((x) => ({ ...x, [a.id]: errorMessage(e) }));
    }
  };
  const bump = () => room && writeClassControls(room.doc, { tasks: Date.now() });
  const pose = async (e: React.FormEvent) => {
    e.preventDefault();
    setProblem(null);
    try {
      const opts = options.split("\n").map((o) => o.trim()).filter(Boolean);
      const timed = seconds.trim() ? { seconds: Number(seconds) } : {};
      await client.classroom.pose.mutate(kind === "POLL" ? { sessionId, kind, prompt, options: opts, ...timed } : { sessionId, kind, prompt, ...timed });
      setPrompt("");
      setOptions("");
      setSeconds("");
      bump();
      await tasks.refetch();
    } catch (err) {
      setProblem(errorMessage(err));
    }
  };
  const current = tasks.data?.[0];
  return (
    <section className="class-tasks staff" aria-label="Questions to the class">
      <form className="class-pose" onSubmit={pose}>
        <select value={kind} onChange={(e) => setKind(e.target.value as "VIEW" | "POLL")} aria-label="Kind of question" data-testid="pose-kind">
          <option value="VIEW">Question: answer with a view</option>
          <option value="POLL">Quick poll</option>
        </select>
        <input value={prompt} onChange={(e) => setPrompt(e.target.value)} placeholder="e.g. Brush a range where some cell tracks nesting depth" maxLength={500} required aria-label="Question" data-testid="pose-prompt" />
        {kind === "POLL" && <textarea value={options} onChange={(e) => setOptions(e.target.value)} placeholder={"one choice per line\ninput gate\nforget gate"} rows={3} aria-label="Choices, one per line" data-testid="pose-options" />}
        <input type="number" min={10} max={3600} value={seconds} onChange={(e) => setSeconds(e.target.value)} placeholder="time limit (s)" aria-label="Time limit in seconds (optional)" className="class-seconds" data-testid="pose-seconds" />
        <button type="submit" className="small" data-testid="pose-submit">
          Ask the class
        </button>
      </form>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {current && current.aggregate && (
        <div className="class-task-card" data-testid="staff-task" data-task={current.id}>
          <div className="class-task-head">
            <strong>{current.prompt}</strong>
            <span className="muted" data-testid="staff-answer-count">
              {current.aggregate.answers} of {current.students} answered
            </span>
            <Closes at={current.closesAt} />
            <span className="spacer" />
            {current.revealed ? (
              <span className="muted" data-testid="task-revealed">shown to the class</span>
            ) : (
              <button
                type="button"
                className="small"
                data-testid="task-reveal"
                onClick={async () => {
                  await client.classroom.reveal.mutate({ sessionId, taskId: current.id });
                  bump();
                  await tasks.refetch();
                }}
              >
                Show the class the results
              </button>
            )}
          </div>
          <AggregateView task={current} agg={current.aggregate} />
          {current.kind === "VIEW" && current.answers.length > 0 && (
            <div className="class-answers">
              <label className="muted">
                <input type="checkbox" checked={named} onChange={(e) => setNamed(e.target.checked)} /> show names when spotlighting
              </label>
              <ul>
                {current.answers.map((a) => (
                  <li key={a.id} data-testid={`answer-${a.name}`}>
                    <strong>{a.name}</strong> <span className="muted">{describeAnswer(a, current)}</span> {a.text && <q>{a.text}</q>}{" "}
                    <button type="button" className="ghost small" onClick={() => onSpotlight(a, named)} disabled={!a.range} data-testid="answer-spotlight">
                      Spotlight
                    </button>
                    {saved[a.id] ? (
                      <span className="muted" data-testid="answer-saved">{saved[a.id]}</span>
                    ) : (
                      <button type="button" className="ghost small" onClick={() => keep(a, current.prompt)} disabled={!a.range || a.cells.length === 0} title={a.cells.length === 0 ? "an answer without cells cannot be a hypothesis" : "Save this answer as a hypothesis of the workspace"} data-testid="answer-keep">
                        Save as hypothesis
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </div>
      )}
    </section>
  );
}

/** The student's card for the latest task: answer with the current view in one click (or vote), see one's answer, then the revealed results. */
export function StudentTask({ sessionId, stamp, local }: { sessionId: string; stamp: number; local: LocalPresence }) {
  const client = useTRPCClient();
  const tasks = useTasks(sessionId, stamp, null);
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const task = tasks.data?.[0];
  if (!task) return null;
  const answer = async (a: { choice?: number }) => {
    setProblem(null);
    try {
      if (task.kind === "POLL") await client.classroom.answer.mutate({ sessionId, taskId: task.id, choice: a.choice });
      else {
        const v = local.currentView();
        if (!v?.brush) throw new Error("brush a range of tokens first: your answer is the range, its cells and the threshold");
        await client.classroom.answer.mutate({ sessionId, taskId: task.id, source: v.source, range: v.brush, cells: v.cells, threshold: v.threshold, ...(text.trim() ? { text: text.trim() } : {}) });
      }
      await tasks.refetch();
    } catch (e) {
      setProblem(errorMessage(e));
    }
  };
  return (
    <section className="class-task-card student" aria-label="Question from the instructor" data-testid="student-task" data-task={task.id}>
      <div className="class-task-head">
        <strong>{task.prompt}</strong>
        <Closes at={task.closesAt} />
        {task.mine && (
          <span className="class-mine" data-testid="my-answer">
            Your answer: {describeAnswer(task.mine, task)}
          </span>
        )}
      </div>
      {task.kind === "POLL" ? (
        <div className="class-poll">
          {task.options.map((o, i) => (
            <button key={i} type="button" className={`small${task.mine?.choice === i ? "" : " secondary"}`} onClick={() => answer({ choice: i })} data-testid={`poll-option-${i}`}>
              {o}
            </button>
          ))}
        </div>
      ) : (
        <div className="class-poll">
          <input value={text} onChange={(e) => setText(e.target.value)} placeholder="why? (optional)" maxLength={500} aria-label="Your note" />
          <button type="button" className="small" onClick={() => answer({})} data-testid="answer-submit">
            {task.mine ? "Submit my view again" : "Submit my view"}
          </button>
          <span className="muted">your brushed range, its cells and threshold</span>
        </div>
      )}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {task.aggregate && (
        <div data-testid="revealed">
          <div className="agg-title">What the class answered ({task.aggregate.answers})</div>
          <AggregateView task={task} agg={task.aggregate} />
        </div>
      )}
    </section>
  );
}
