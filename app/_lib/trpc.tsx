"use client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import { z } from "zod";
import type { AppRouter } from "@/server/api/root";
import { transformer } from "@/server/api/transformer";

// zod compiles its object parsers with `new Function` when it may; the pages' Content-Security-
// Policy allows no eval, so in the browser the attempt only produces a violation report.
if (typeof window !== "undefined") z.config({ jitless: true });

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { staleTime: 10_000, retry: 1, refetchOnWindowFocus: false } } }),
  );
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      // Bounded batches: the Match view fires a few hundred small reads at once, and one
      // unbounded batch makes a GET URL longer than the server accepts.
      links: [
        splitLink({
          // Subscriptions (events.*) are server-sent events on their own GET request.
          condition: (op) => op.type === "subscription",
          true: httpSubscriptionLink({ url: "/api/trpc", transformer }),
          false: splitLink({
            // A click's match leaves at once: a batch waits for a timer, which runs only after the
            // render the click started (15–20 ms of a click → results drawn).
            condition: (op) => op.path === "match.run",
            true: httpLink({ url: "/api/trpc", transformer }),
            false: httpBatchLink({ url: "/api/trpc", transformer, maxURLLength: 4000, maxItems: 25 }),
          }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

/** The human message of a tRPC error (our services write them for people). */
export function errorMessage(e: unknown): string {
  if (e && typeof e === "object" && "message" in e && typeof e.message === "string") return e.message;
  return "something went wrong; try again";
}
