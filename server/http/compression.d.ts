/** Next.js's copy of the `compression` middleware (trpc-front.ts compresses as Next.js does), which ships no types. */
declare module "next/dist/compiled/compression/index.js" {
  import type { IncomingMessage, ServerResponse } from "node:http";
  export default function compression(): (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
}
