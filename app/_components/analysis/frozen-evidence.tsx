import "./analysis.css";
import type { Evidence } from "@/server/services/analysis/schemas";
import { fmt } from "./analysis-ui";

/**
 * The evidence frozen with a hypothesis' results: per discrete track its labels with their share
 * of the matched steps and lift, per scalar track the mean inside vs overall.
 */
export function FrozenEvidence({ evidence }: { evidence: readonly Evidence[] }) {
  if (evidence.length === 0) return null;
  return (
    <div className="frozen-evidence" data-testid="frozen-evidence">
      <span className="muted">evidence of the frozen matches ({evidence[0]!.matchedSteps.toLocaleString()} matched steps):</span>
      <ul>
        {evidence.map((e) => (
          <li key={e.track}>
            <b>{e.track}</b>{" "}
            {e.kind === "scalar" ? (
              <span className="mono">
                mean {fmt(e.mean)} vs {fmt(e.baseMean)}
              </span>
            ) : (
              e.labels
                .filter((l) => l.lift !== null)
                .map((l) => (
                  <span key={l.label} className="mono frozen-lift" title={`${l.label}: ${fmt(l.share)} of the matched steps, ${fmt(l.base)} of the source`}>
                    {l.label} {l.lift!.toFixed(2)}×
                  </span>
                ))
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
