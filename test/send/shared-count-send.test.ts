/**
 * `send --due` counts the due campaigns over one source in one pass before the first send
 * (commands/send-precount.ts), and each send takes its counts from it: the same counts, sends and
 * ledgers as counting each alone at its turn; a source changed after that count is counted again
 * at its campaign's turn, and the suppression list is read at each send.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { applyProject } from "../../src/commands/apply-project.js";
import { deploy } from "../../src/commands/deploy.js";
import { type CampaignResult, sendCampaigns } from "../../src/commands/send.js";
import { openSession, type RunEvent, type Session } from "../../src/commands/session.js";
import { LOCAL_SUPPRESSION_FILE } from "../../src/targets/local/suppression.js";
import { simulatedClock } from "../support/clock.js";
import { copyExampleRepo, type ExampleRepo } from "../support/repo.js";

/** What happened, in order: each source opened, each send started and finished. */
const log = vi.hoisted(() => [] as string[]);

vi.mock("../../src/audience/open.js", async (original) => {
  const m = await original<typeof import("../../src/audience/open.js")>();
  return {
    ...m,
    openSource: (...args: Parameters<typeof m.openSource>) => {
      const open = m.openSource(...args);
      return (s: Parameters<ReturnType<typeof m.openSource>>[0]) => {
        log.push(`open ${s.name}`);
        return open(s);
      };
    },
  };
});

const NOW = new Date("2026-12-01T10:00:00Z");
const DUE = ["holiday-promo", "welcome-new-customers"];

let repos: ExampleRepo[] = [];
beforeEach(() => {
  log.length = 0;
  repos = [];
});
afterEach(() => {
  for (const r of repos) r.cleanup();
});

async function applied(): Promise<ExampleRepo> {
  const repo = copyExampleRepo();
  repos.push(repo);
  await applyProject(session(repo), {});
  log.length = 0;
  return repo;
}

function session(repo: ExampleRepo, observe: (e: RunEvent) => void = () => {}): Session {
  const tell = (e: RunEvent) => {
    if (e.kind === "send-started" || e.kind === "send-finished") log.push(`${e.kind} ${e.campaign}`);
    observe(e);
  };
  return openSession({ dir: repo.dir, target: "local", observe: tell, clock: simulatedClock(NOW) });
}

/** Opens that counted: every open but the one each send pass makes right after it starts. */
const countOpens = () =>
  log.filter((e, i) => e.startsWith("open ") && !log[i - 1]?.startsWith("send-started")).length;

/** Each run's ledger records: who, in which batch, with which outcome (not the tokens or message ids a run draws). */
function ledgers(repo: ExampleRepo): Record<string, string> {
  const root = path.join(repo.dir, ".mailops/state/ledger");
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else
        out[path.relative(root, p)] = readFileSync(p, "utf8").replace(
          /"(lease|write|messageId)": ?"[^"]*"/g,
          '"$1":"-"',
        );
    }
  };
  walk(root);
  return out;
}

const sameAcross = (repo: ExampleRepo, results: CampaignResult[]) =>
  JSON.parse(JSON.stringify(results).replaceAll(repo.dir, "REPO"));

/** Today's way: each campaign counted alone just before its send (a send by name takes one). */
async function aloneEach(repo: ExampleRepo): Promise<CampaignResult[]> {
  const out: CampaignResult[] = [];
  for (const name of DUE) out.push(...(await sendCampaigns(session(repo), { campaign: name })));
  return out;
}

const addresses = (repo: ExampleRepo, campaign: string) =>
  repo
    .emls(campaign)
    .map(
      (f) =>
        /^To: (.*)$/m.exec(readFileSync(path.join(repo.dir, ".mailops/outbox", campaign, f), "utf8"))?.[1],
    );

describe("send --due over one source", () => {
  it("reads the file once to count both campaigns, with the counts, sends and ledgers of counting each alone", async () => {
    const shared = await applied();
    const results = await sendCampaigns(session(shared), { due: true });
    const sends = results.filter((r) => DUE.includes(r.campaign));
    expect(sends.map((r) => [r.campaign, r.state])).toEqual(DUE.map((c) => [c, "sent"]));
    expect(log.filter((e) => e.startsWith("open "))).toEqual([
      "open customers",
      "open customers",
      "open customers",
    ]);
    expect(countOpens()).toBe(1);

    const alone = await applied();
    const each = await aloneEach(alone);
    expect(countOpens()).toBe(2);
    expect(sameAcross(shared, sends)).toEqual(sameAcross(alone, each));
    for (const c of DUE) {
      expect(sends.find((r) => r.campaign === c)?.counts?.toSend).toBeGreaterThan(0);
      expect(shared.emls(c)).toEqual(alone.emls(c));
    }
    expect(ledgers(shared)).toEqual(ledgers(alone));
  });

  it("counts a campaign again at its turn when its source changed after the shared count", async () => {
    const repo = await applied();
    const file = path.join(repo.dir, "subscribers/customers.jsonl");
    const late = {
      email: "late.joiner@example.com",
      name: "Late Joiner",
      segment: "new_customers",
      preferences: [],
    };
    const results = await sendCampaigns(
      session(repo, (e) => {
        // While the first campaign's send runs (it may take hours): a new customer joins.
        if (e.kind === "send-finished" && e.campaign === DUE[0])
          appendFileSync(file, `${JSON.stringify(late)}\n`);
      }),
      { due: true },
    );
    const welcome = results.find((r) => r.campaign === "welcome-new-customers");
    expect(welcome?.state).toBe("sent");
    // Counted twice: the shared count, then welcome alone at its turn, over the changed file.
    expect(countOpens()).toBe(2);
    expect(addresses(repo, "welcome-new-customers")).toContain("late.joiner@example.com");
    expect(welcome?.counts?.toSend).toBe(repo.emls("welcome-new-customers").length);
  });

  it("leaves out whoever is suppressed by the time of each send", async () => {
    const repo = await applied();
    const before = await applied();
    await aloneEach(before);
    const welcomed = addresses(before, "welcome-new-customers");
    const gone = welcomed[0] as string;
    log.length = 0;
    const results = await sendCampaigns(
      session(repo, (e) => {
        if (e.kind === "send-finished" && e.campaign === DUE[0]) {
          mkdirSync(path.join(repo.dir, ".mailops/local"), { recursive: true });
          writeFileSync(path.join(repo.dir, LOCAL_SUPPRESSION_FILE), `${gone}\n`);
        }
      }),
      { due: true },
    );
    expect(results.find((r) => r.campaign === "welcome-new-customers")?.state).toBe("sent");
    expect(countOpens()).toBe(1);
    expect(addresses(repo, "welcome-new-customers")).toEqual(welcomed.filter((a) => a !== gone));
  });

  it("deploy, which runs the send, counts both in the one read too", async () => {
    const repo = copyExampleRepo();
    repos.push(repo);
    const result = await deploy(session(repo), {});
    expect(result.results.filter((r) => DUE.includes(r.campaign)).map((r) => r.state)).toEqual([
      "sent",
      "sent",
    ]);
    expect(countOpens()).toBe(1);
  });

  it("one campaign: counted alone just before its send, as ever", async () => {
    const repo = await applied();
    await sendCampaigns(session(repo), { campaign: DUE[0] });
    expect(log).toEqual([
      "open customers",
      `send-started ${DUE[0]}`,
      "open customers",
      `send-finished ${DUE[0]}`,
    ]);
  });
});
