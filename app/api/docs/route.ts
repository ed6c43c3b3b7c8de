/** Interactive docs of the HTTP API (Swagger UI from npm, served here: works offline). */
import { docsPage } from "@/server/http/api-docs";

export function GET(): Response {
  return docsPage();
}
