import { cookies } from "next/headers";
import Link from "next/link";
import { Suspense } from "react";
import { CANVAS_WIDTH_COOKIE, DEFAULT_CANVAS_WIDTH, startFirstWindow, statesUrl } from "@/app/_components/explorer/first-window";
import { requireUser, searchParamsOf, withQuery } from "@/app/_lib/require-user";
import { clientErrorMessage, serverCaller, type ServerCaller } from "@/app/_lib/server-caller";
import type { DatasetDetail } from "@/server/services/datasets/schemas";
import { TeamExplorer } from "./team-explorer";

type Caller = ServerCaller;

/**
 * The dataset's details are read here, through the same tRPC procedure (and its workspace check)
 * the client would call, and handed to the explorer with the page; so is the first window, whose
 * reads stream in with the page (npm run bench:explorer-open). Any failure is left to the client,
 * which shows it with its own query.
 */
async function prefetchInfo(caller: Caller, slug: string, datasetId: string): Promise<{ info: DatasetDetail | null; problem?: string }> {
  try {
    const d = await caller.dataset.get({ workspace: slug, datasetId });
    return { info: d.status === "READY" ? d : null };
  } catch (e) {
    // a dataset that does not exist (or is not readable) is said at once, without connecting first
    return { info: null, problem: clientErrorMessage(e) };
  }
}

export default async function ExplorePage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string; datasetId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { slug, datasetId } = await params;
  const sp = await searchParams;
  const userId = await requireUser(withQuery(`/w/${slug}/datasets/${datasetId}/explore`, sp));
  const caller = await serverCaller(userId);
  const prefetched = await prefetchInfo(caller, slug, datasetId);
  if (prefetched.problem) {
    return (
      <div className="explore-page">
        <p className="crumbs">
          <Link href={`/w/${slug}`} prefetch={false}>Datasets</Link> / <span className="mono">{datasetId}</span> / Explore
        </p>
        <p className="error" role="alert" data-testid="explorer-error">{prefetched.problem}</p>
      </div>
    );
  }
  const initialInfo = prefetched.info;
  const measured = Number((await cookies()).get(CANVAS_WIDTH_COOKIE)?.value);
  const width = Number.isFinite(measured) && measured >= 200 && measured <= 10_000 ? measured : DEFAULT_CANVAS_WIDTH;
  const firstWindow = initialInfo ? startFirstWindow(caller, slug, initialInfo, searchParamsOf(sp), width) : null;
  return (
    <div className="explore-page">
      {/* React puts these in <head>: the browser fetches the first window's states while it loads the scripts,
          and the explorer's fetch() of the same URL (same-origin, CORS mode) takes the response */}
      {firstWindow?.sources.map((s) => (
        <link key={s} rel="preload" as="fetch" crossOrigin="anonymous" href={statesUrl(slug, datasetId, s, firstWindow.from, firstWindow.to)} />
      ))}
      <p className="crumbs">
        <Link href={`/w/${slug}`} prefetch={false}>Datasets</Link> / <span className="mono">{initialInfo?.name ?? datasetId}</span> / Explore
      </p>
      <Suspense fallback={<div className="explorer-status">Opening the dataset…</div>}>
        <TeamExplorer workspace={slug} datasetId={datasetId} userId={userId} initialInfo={initialInfo} firstWindow={firstWindow} />
      </Suspense>
    </div>
  );
}
