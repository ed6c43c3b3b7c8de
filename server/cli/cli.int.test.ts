import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../tests/setup/cli";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t.drop();
});

const cli = (args: string[]) => runCli(t.url, args);

describe("statescope CLI", () => {
  it("prints help", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/statescope user create --email EMAIL --password PASSWORD/);
    expect(r.stdout).toMatch(/statescope workspace create --slug SLUG --owner EMAIL/);
  });

  it("creates a user and a workspace with exactly one JSON object on stdout", async () => {
    const u = await cli(["user", "create", "--email", "cli@example.org", "--password", "password1", "--name", "Cli", "--json"]);
    expect(u.code).toBe(0);
    const user = JSON.parse(u.stdout) as Record<string, unknown>;
    expect(user).toEqual({ userId: expect.any(String), email: "cli@example.org", name: "Cli" });

    const w = await cli(["workspace", "create", "--slug", "cli-lab", "--owner", "cli@example.org", "--json"]);
    expect(w.code).toBe(0);
    expect(JSON.parse(w.stdout)).toEqual({ workspaceId: expect.any(String), slug: "cli-lab", ownerEmail: "cli@example.org" });
  });

  it("exits 2 with a JSON error on stderr for bad input", async () => {
    const dup = await cli(["user", "create", "--email", "cli@example.org", "--password", "password1", "--json"]);
    expect(dup.code).toBe(2);
    expect(dup.stdout).toBe("");
    const lastLine = dup.stderr.trim().split("\n").at(-1)!;
    expect(JSON.parse(lastLine)).toEqual({ error: { code: "CONFLICT", message: expect.stringMatching(/already exists/) } });

    const owner = await cli(["workspace", "create", "--slug", "other", "--owner", "ghost@example.org", "--json"]);
    expect(owner.code).toBe(2);
    expect(owner.stderr).toMatch(/no user with the email ghost@example.org/);

    const slug = await cli(["workspace", "create", "--slug", "cli-lab", "--owner", "cli@example.org"]);
    expect(slug.code).toBe(2);
    expect(slug.stderr).toMatch(/slug "cli-lab" is taken/);

    const flag = await cli(["user", "create", "--emial", "x", "--json"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/Unknown option '--emial'/);

    const missing = await cli(["user", "create", "--email", "m@example.org", "--json"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing --password/);

    const unknown = await cli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
  });
});
