import Image from "next/image";
import Link from "next/link";
import { redirect } from "next/navigation";
import { currentUserId } from "@/server/auth";
import explorerShot from "./explorer-screenshot.webp";

export const dynamic = "force-dynamic";

/** Signed in: your workspaces. Signed out: what Statescope is, with a way in. */
export default async function Home() {
  if (await currentUserId()) redirect("/w");
  return (
    <main className="page landing">
      <section className="landing-intro">
        <h1>See what a recurrent network keeps in its hidden state, and find it everywhere else.</h1>
        <p className="lead">
          Statescope is a collaborative successor of LSTMVis. Load the hidden states of an LSTM or GRU, brush the tokens
          where you suspect some cells track a property (nesting depth, being inside a comment, a tense), pick a threshold,
          and find every other place in the corpus where the same cells switch on together.
        </p>
        <ul className="landing-points">
          <li><strong>Bring your model</strong>: PyTorch weights (safetensors) and a text, an LSTMVis project, or NumPy arrays; or start from a demo corpus.</li>
          <li><strong>Match and compare</strong>: aligned matches with heatmaps of their annotations, surprisal and top predictions.</li>
          <li><strong>Together</strong>: shared views in real time, hypotheses, labels and comments your team can cite.</li>
        </ul>
        <p className="landing-actions">
          <Link className="button" href="/signup">Create an account</Link>
          <Link className="button secondary" href="/signin">Sign in</Link>
        </p>
      </section>
      <figure className="landing-shot">
        <Image
          src={explorerShot}
          alt="The Statescope explorer on the parens demo: the hidden-state traces of three selected cells over a brushed bracket, and the list of places where they switch on together, with match-count, surprisal and depth heatmaps."
          priority
          sizes="(max-width: 1000px) 100vw, 560px"
        />
        <figcaption className="muted">The explorer on the parens demo: three cells picked over a bracket, and the first of the 50 places where they switch on together.</figcaption>
      </figure>
    </main>
  );
}
