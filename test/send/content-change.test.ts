/**
 * A run's content digest covers what its recipients are promised: template, campaign `data`,
 * From, topic and tags. A run resumed after any of them changed is refused unless
 * --allow-content-change; these pin the parts a template check alone would miss.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runSend } from "../../src/cli/send.js";
import type { TargetFactory } from "../../src/commands/context.js";
import { LocalTarget } from "../../src/targets/local/resources.js";
import type { Sender, Target } from "../../src/targets/port.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

const CAMPAIGN = "holiday-promo";
let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
  const rows = Array.from({ length: 120 }, (_, i) =>
    JSON.stringify({
      email: `u${i}@example.com`,
      name: `U${i}`,
      segment: "loyal_customers",
      preferences: ["fashion"],
    }),
  );
  repo.write("subscribers/customers.jsonl", `${rows.join("\n")}\n`);
});
afterEach(() => repo.cleanup());

const sent = () => {
  const dir = path.join(repo.dir, ".mailops/outbox", CAMPAIGN);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".eml")).length : 0;
};

/** The local target, whose account pauses sending after the first call of 50. */
const pausingAfterFirstCall: TargetFactory = async () => {
  const target: Target = new LocalTarget(repo.dir);
  const real = target.sender();
  let calls = 0;
  const sender: Sender = Object.assign(Object.create(real) as Sender, {
    send: async (request: Parameters<Sender["send"]>[0]) =>
      calls++ === 0
        ? real.send(request)
        : request.messages.map(() => ({ status: "stop" as const, error: "ACCOUNT_SENDING_PAUSED" })),
  });
  target.sender = () => sender;
  return target;
};

async function send(extra: { allowContentChange?: boolean } = {}, factory?: TargetFactory) {
  const io = captureIo();
  // Sent by name, whether or not its send_at has come.
  const code = await runSend(
    { dir: repo.dir, target: "local", campaign: CAMPAIGN, beforeSendAt: true, ...extra },
    io,
    factory,
  );
  return { code, out: io.outText };
}

describe("a run resumed with changed content", () => {
  it("is refused when only the campaign's data changed, and finished with --allow-content-change", async () => {
    expect(await runApply({ dir: repo.dir, target: "local" }, captureIo())).toBe(0);
    const first = await send({}, pausingAfterFirstCall);
    expect(first.out).toContain(`${CAMPAIGN}: stopped (ACCOUNT_SENDING_PAUSED)`);
    expect(sent()).toBe(50);

    // Same template, same audience: only a value of `data` differs.
    repo.write(
      `campaigns/${CAMPAIGN}.yaml`,
      repo.read(`campaigns/${CAMPAIGN}.yaml`).replace("discount: 20", "discount: 30"),
    );
    const changed = await send();
    expect(changed.code).toBe(1);
    expect(changed.out).toMatch(
      new RegExp(
        `${CAMPAIGN}: refused \\(campaign ${CAMPAIGN} was partially sent with content \\w+, and its content is now \\w+`,
      ),
    );
    expect(changed.out).toContain("pass --allow-content-change to finish the run with the new content");
    expect(sent()).toBe(50);

    const allowed = await send({ allowContentChange: true });
    expect(allowed.code, allowed.out).toBe(0);
    expect(sent()).toBe(120);
  });

  it("goes on when nothing the recipients get changed", async () => {
    expect(await runApply({ dir: repo.dir, target: "local" }, captureIo())).toBe(0);
    await send({}, pausingAfterFirstCall);
    // A description is not content.
    repo.write(
      `campaigns/${CAMPAIGN}.yaml`,
      repo.read(`campaigns/${CAMPAIGN}.yaml`).replace("Holiday discount", "Year-end discount"),
    );
    const again = await send();
    expect(again.code, again.out).toBe(0);
    expect(sent()).toBe(120);
  });
});
