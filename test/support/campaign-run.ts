/**
 * Inputs for `runCampaign` in tests: `people(n)` recipients and a `RunInput` with defaults for
 * everything a test does not care about. The request names the run as `mailops send` does
 * (campaign from the id, run folder from `runKey`); pacing is unlimited at 50 a call; options
 * neither resend unknowns nor allow content changes, and `sleep` returns at once.
 */
import { type Ledger, type RunId, runKey } from "../../src/send/ledger.js";
import type { MessageBuilder, MessageRecipient } from "../../src/send/message.js";
import { TokenBucket } from "../../src/send/pacing.js";
import type { RunInput } from "../../src/send/run.js";
import type { Sender } from "../../src/targets/port.js";

/** n recipients u0@example.com…, each keyed by address, with a `name` field U0…. */
export const people = (n: number): MessageRecipient[] =>
  Array.from({ length: n }, (_, i) => ({
    address: `u${i}@example.com`,
    key: `u${i}@example.com`,
    fields: { name: `U${i}` },
  }));

/** Prepares every recipient, with its fields as the template data. */
export const sendEveryone: MessageBuilder = {
  prepare: (r) => ({ ok: true, data: { ...r.fields }, headers: [] }),
  skipReason: () => undefined,
};

export interface RunInputParts {
  id: RunId;
  recipients: MessageRecipient[];
  sender: Sender;
  ledger: Ledger;
  /** sendEveryone unless given. */
  messages?: MessageBuilder;
  project?: string;
  contentDigest?: string;
  /** Merged over the defaults. */
  request?: Partial<RunInput["request"]>;
  bucket?: TokenBucket;
  batchSize?: number;
  lease?: RunInput["lease"];
  /** Merged over the defaults. */
  options?: Partial<RunInput["options"]>;
  otherSpellings?: RunInput["otherSpellings"];
}

export function runInput(parts: RunInputParts): RunInput {
  const { id, recipients, sender, ledger, batchSize, lease } = parts;
  return {
    project: parts.project ?? "p",
    id,
    contentDigest: parts.contentDigest ?? "A",
    recipients: async function* () {
      yield* recipients;
    },
    messages: parts.messages ?? sendEveryone,
    request: {
      campaign: id.campaign,
      run: runKey(id),
      template: "t",
      from: "a@example.com",
      replyTo: [],
      tags: {},
      ...parts.request,
    },
    sender,
    ledger,
    bucket: parts.bucket ?? new TokenBucket(Number.POSITIVE_INFINITY, 50),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(lease !== undefined ? { lease } : {}),
    ...(parts.otherSpellings !== undefined ? { otherSpellings: parts.otherSpellings } : {}),
    options: {
      resendUnknown: false,
      allowContentChange: false,
      stopOn: {},
      now: () => new Date(),
      progress: () => {},
      sleep: async () => {},
      ...parts.options,
    },
  };
}
