/**
 * One campaign run as the send benchmarks make it (send.bench.ts, outbox.bench.ts): n synthetic
 * recipients whose data needs no work, through runCampaign with a fresh ledger, at `rate`.
 */
import { Ledger } from "../src/send/ledger.js";
import type { MessageBuilder, MessageRecipient } from "../src/send/message.js";
import { pacingFor } from "../src/send/pacing.js";
import { type RunReport, runCampaign } from "../src/send/run.js";
import type { Store } from "../src/store/index.js";
import type { Sender, SendRequest } from "../src/targets/port.js";

const messages: MessageBuilder = {
  prepare: (r) => ({
    ok: true,
    data: Object.assign({ postal_address: "Acme Inc, 1 Main St" }, r.fields),
    headers: [],
  }),
  skipReason: () => undefined,
};

function people(n: number): () => AsyncIterable<MessageRecipient> {
  return async function* () {
    for (let i = 0; i < n; i++)
      yield { address: `user${i}@example.com`, key: `user${i}@example.com`, fields: { name: `User ${i}` } };
  };
}

/** The run of campaign `bench` (on-merge); its wall time and the CPU it took, in milliseconds. */
export async function benchRun(
  sender: Sender,
  rate: number,
  n: number,
  store: Store,
  request: Partial<Omit<SendRequest, "messages">> = {},
): Promise<{ report: RunReport; seconds: number; cpuMs: number }> {
  const id = { campaign: "bench", sendAt: "on-merge" };
  const start = performance.now();
  const cpu = process.cpuUsage();
  const report = await runCampaign({
    project: "bench",
    id,
    contentDigest: "A",
    recipients: people(n),
    messages,
    request: {
      campaign: "bench",
      run: "on-merge",
      template: "bench",
      from: "a@example.com",
      replyTo: [],
      tags: {},
      ...request,
    },
    sender,
    ledger: new Ledger(store, id),
    ...pacingFor(rate),
    options: {
      resendUnknown: false,
      allowContentChange: false,
      stopOn: {},
      now: () => new Date(),
      progress: () => {},
    },
  });
  const used = process.cpuUsage(cpu);
  return { report, seconds: (performance.now() - start) / 1000, cpuMs: (used.user + used.system) / 1000 };
}
