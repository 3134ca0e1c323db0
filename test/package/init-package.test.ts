/**
 * The package as a campaign repository gets it: `npm pack` of this repository (its `prepare`
 * builds it), `mailops init` in an empty folder, `npm install` with mailops from that tarball (the
 * registry does not have it), then `mailops deploy` on the local target from the installed
 * package. Also what a user's code imports: `mailops/unsubscribe`, built JavaScript and its
 * declarations, and nothing under `mailops/src/`. Slow (an install): one file, one generous timeout.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";

const ROOT = path.join(import.meta.dirname, "../..");
const SECRET = "a-test-secret-that-is-at-least-thirty-two-bytes-long";
/** Each case starts processes (node, tsc) on a machine that may be busy: generous, never a budget. */
const SLOW = 120_000;

let temp: string;
let tarball: string;
let repo: string;

/** npm and node without the variables `npm test` sets for its own run. */
function env(): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return {
    ...clean,
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
  };
}

function run(command: string, args: string[], cwd: string) {
  const started = Date.now();
  const r = spawnSync(command, args, { cwd, env: env(), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return { ...r, told: `${command} ${args.join(" ")} (${seconds} s):\n${r.stdout}\n${r.stderr}` };
}

const mailops = (args: string[], cwd: string) =>
  run(process.execPath, [path.join(cwd, "node_modules/mailops/bin/mailops.cjs"), ...args], cwd);

beforeAll(() => {
  temp = mkdtempSync(path.join(tmpdir(), "mailops-package-"));
  const pack = run("npm", ["pack", "--json", "--pack-destination", temp], ROOT);
  expect(pack.status, pack.told).toBe(0);
  const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as { filename: string }[];
  tarball = path.join(temp, packed?.filename ?? "");
  // init from this checkout's build (the tarball's, just made by prepare), pointing at the tarball.
  repo = path.join(temp, "campaigns");
  const init = run(
    process.execPath,
    [path.join(ROOT, "bin/mailops.cjs"), "init", repo, "--package", `file:${tarball}`],
    temp,
  );
  expect(init.status, init.told).toBe(0);
  const install = run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], repo);
  expect(install.status, install.told).toBe(0);
}, 300_000);
afterAll(() => {
  if (temp) rmSync(temp, { recursive: true, force: true });
});

it(
  "installs from the tarball and deploys on the local target",
  () => {
    const pkg = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8"));
    expect(pkg.dependencies.mailops).toBe(`file:${tarball}`);
    const deploy = mailops(["deploy"], repo);
    expect(deploy.status, deploy.told).toBe(0);
    expect(deploy.stdout).toContain("welcome-new-customers");
    const outbox = path.join(repo, ".mailops/outbox/welcome-new-customers");
    expect(readdirSync(outbox).filter((f) => f.endsWith(".eml"))).toHaveLength(2);
    const status = mailops(["status", "--format", "json"], repo);
    expect(JSON.parse(status.stdout).runs[0]).toMatchObject({ campaign: "welcome-new-customers", sent: 2 });
  },
  SLOW,
);

it(
  "inits from the installed package too: what init reads is in the package",
  () => {
    const second = path.join(temp, "second");
    const init = mailops(["init", second, "--format", "json"], repo);
    expect(init.status, init.told).toBe(0);
    const report = JSON.parse(init.stdout);
    const first = JSON.parse(mailops(["init", repo, "--force", "--format", "json"], repo).stdout);
    expect(report.written.sort()).toEqual(first.kept.sort());
    // The package's own repository and version, as package.json declares them.
    const ours = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(report.dependency).toMatch(new RegExp(`^github:[\\w.-]+/[\\w.-]+#v${ours.version}$`));
  },
  SLOW,
);

it(
  "exports mailops/unsubscribe as built JavaScript that verifies a signed link",
  () => {
    const script = `
    import { unsubscribeUrl, verifyUnsubscribeToken, UnsubscribeSecretError } from "mailops/unsubscribe";
    const url = unsubscribeUrl("https://example.com/u", process.env.SECRET, { email: "ann@example.com", campaign: "c" });
    const token = new URL(url).searchParams.get("t");
    let refused = false;
    try { verifyUnsubscribeToken(token, "short"); } catch (e) { refused = e instanceof UnsubscribeSecretError; }
    console.log(JSON.stringify({ claim: verifyUnsubscribeToken(token, process.env.SECRET), forged: verifyUnsubscribeToken(token + "x", process.env.SECRET) ?? null, refused }));
  `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: repo,
      env: { ...env(), SECRET },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      claim: { email: "ann@example.com", campaign: "c" },
      forged: null,
      refused: true,
    });
    const internal = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", 'await import("mailops/src/send/unsubscribe.js")'],
      { cwd: repo, env: env(), encoding: "utf8" },
    );
    expect(internal.stderr).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
  },
  SLOW,
);

it(
  "ships declarations that type-check a user's endpoint, and catch a misuse",
  () => {
    const tsc = path.join(
      path.dirname(createRequire(import.meta.url).resolve("typescript/package.json")),
      "bin/tsc",
    );
    writeFileSync(
      path.join(repo, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "nodenext", target: "es2022", strict: true, noEmit: true, types: [] },
        files: ["endpoint.ts"],
      }),
    );
    const check = (body: string) => {
      writeFileSync(
        path.join(repo, "endpoint.ts"),
        `import { verifyUnsubscribeToken, type UnsubscribeClaim } from "mailops/unsubscribe";\n${body}\n`,
      );
      return run(process.execPath, [tsc, "-p", "."], repo);
    };
    const good = check(
      'export const claim: UnsubscribeClaim | undefined = verifyUnsubscribeToken("t", "s");\nexport const topic: string | undefined = claim?.topic;',
    );
    expect(good.status, good.told).toBe(0);
    const bad = check('export const n: number = verifyUnsubscribeToken("t", "s");');
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/UnsubscribeClaim.*is not assignable to type 'number'/);
  },
  SLOW,
);
