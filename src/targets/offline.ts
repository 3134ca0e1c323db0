/**
 * The target of a pull request from a fork: such a run gets no secrets, so nothing live can be
 * read. Nothing exists, nobody is suppressed, and anything that would change or send is refused.
 */

import type { SuppressionCheck } from "../audience/index.js";
import { UsageError } from "../errors.js";
import type { AccountFacts, Capabilities, IdentityFacts, Sender, Target } from "./port.js";

const refuse = (what: string): never => {
  throw new UsageError(`${what} is not possible without credentials (a pull request from a fork)`);
};

export class OfflineTarget implements Target {
  /** It sends nothing and reads no metrics, whichever target it stands for. */
  readonly capabilities: Capabilities = { sendRate: "none", metrics: "none" };

  constructor(readonly name: "local" | "aws") {}

  async read(): Promise<[]> {
    return [];
  }

  async list(): Promise<string[]> {
    return refuse("listing what exists on the target");
  }

  async apply(): Promise<void> {
    refuse("apply");
  }

  async account(): Promise<AccountFacts> {
    return refuse("reading the SES account");
  }

  async identity(): Promise<IdentityFacts> {
    return refuse("reading the sender identity");
  }

  sender(): Sender {
    return refuse("sending");
  }

  async suppression(): Promise<SuppressionCheck> {
    return { has: () => false };
  }
}
