"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { errorMessage, useTRPCClient } from "@/app/_lib/trpc";

/** "Start a class": an editor starts a live session on this dataset and opens its presenter screen. */
export function StartClassButton({ workspace, datasetId, enabled }: { workspace: string; datasetId: string; enabled: boolean }) {
  const client = useTRPCClient();
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        className="secondary small"
        disabled={!enabled || busy}
        title={enabled ? "Lead a live class on this dataset: students join with a code and follow your view" : "Only editors and owners can start a class"}
        data-testid="class-start"
        onClick={async () => {
          setBusy(true);
          setProblem(null);
          try {
            const s = await client.classroom.start.mutate({ workspace, datasetId });
            router.push(`/c/s/${s.sessionId}`);
          } catch (e) {
            setProblem(errorMessage(e));
            setBusy(false);
          }
        }}
      >
        {busy ? "Starting…" : "Start a class"}
      </button>
      {problem && (
        <span className="error" role="alert">
          {problem}
        </span>
      )}
    </>
  );
}
