import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

/** Records as the hypothesis, annotation and comment routers return them (types only). */
type Out = inferRouterOutputs<AppRouter>;
export type Hypothesis = Out["hypothesis"]["list"][number];
export type HypothesisVersion = Out["hypothesis"]["versions"][number];
export type Category = Out["annotation"]["categories"][number];
export type Annotation = Out["annotation"]["list"]["annotations"][number];
export type ThreadSummary = Out["comment"]["threads"][number];
export type ThreadDetail = Out["comment"]["thread"];
export type Comment = ThreadDetail["comments"][number];
export type InboxItem = Out["comment"]["inbox"]["items"][number];
