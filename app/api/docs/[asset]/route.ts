import { docsAsset } from "@/server/http/api-docs";

export async function GET(_req: Request, route: { params: Promise<{ asset: string }> }): Promise<Response> {
  return docsAsset((await route.params).asset);
}
