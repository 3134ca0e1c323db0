/**
 * The embedded `local` target: SES and CloudWatch resources as JSON files under
 * `.mailops/local/<kind>/<name>.json`, with the same semantics as aws (tags, ownership).
 *
 * Identities verify at once: an identity file holds its status, verified with DKIM and MAIL FROM
 * found. Until the first identity file exists, local sends from any address (as before identities
 * were declared); once one exists, only from an identity on file, as SES does.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { SuppressionCheck } from "../../audience/index.js";
import type { Change } from "../../plan/plan.js";
import type { IdentityStatus, KindName, LiveResource, Spec } from "../../plan/resource.js";
import { createHash } from "../../util/crypto.js";
import type { AccountFacts, Capabilities, IdentityFacts, Sender, Target } from "../port.js";
import { LocalSender } from "./sender.js";
import { localSuppression } from "./suppression.js";

/** As in AWS, where dashboards and event destinations take no tags: only the inventory owns them. */
const UNTAGGED: ReadonlySet<KindName> = new Set(["dashboard", "event-destination"]);

interface Stored {
  spec: Spec;
  tags: Record<string, string>;
  status?: IdentityStatus;
}

/** The account id local ARNs carry (SNS topics). */
export const LOCAL_ACCOUNT_ID = "000000000000";

export class LocalTarget implements Target {
  readonly name = "local" as const;
  /** No account to pace by: `sending.local_rate`, else as fast as it goes; metrics from its events. */
  readonly capabilities: Capabilities = { sendRate: "setting", metrics: "local-events" };
  private readonly dir: string;

  constructor(private readonly root: string) {
    this.dir = path.join(root, ".mailops", "local");
  }

  private file(kind: KindName, name: string): string {
    // Event destinations are named `<set>/<destination>`; both parts are SES-safe names.
    return path.join(this.dir, kind, `${name.replace("/", "~")}.json`);
  }

  async read(wanted: { kind: KindName; name: string }[]): Promise<LiveResource[]> {
    const out: LiveResource[] = [];
    for (const w of wanted) {
      let text: string;
      try {
        text = readFileSync(this.file(w.kind, w.name), "utf8");
      } catch {
        continue;
      }
      const stored = JSON.parse(text) as Stored;
      out.push({
        kind: w.kind,
        name: w.name,
        spec: stored.spec,
        tags: stored.tags ?? {},
        ...(stored.status ? { status: stored.status } : {}),
      });
    }
    return out;
  }

  async list(kind: KindName): Promise<string[]> {
    let files: string[];
    try {
      files = readdirSync(path.join(this.dir, kind));
    } catch {
      return [];
    }
    // Only the resource files: a `.tmp` is a write a crash left half done.
    return files
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -".json".length).replace("~", "/"))
      .sort();
  }

  async apply(change: Change, tags: Record<string, string>): Promise<void> {
    const file = this.file(change.kind, change.name);
    if (change.action === "delete") {
      rmSync(file, { force: true });
      if (change.kind === "configuration-set") {
        // As in SES, deleting a configuration set deletes its event destinations.
        const dir = path.join(this.dir, "event-destination");
        let files: string[] = [];
        try {
          files = readdirSync(dir);
        } catch {
          // none
        }
        for (const f of files)
          if (f.startsWith(`${change.name}~`)) rmSync(path.join(dir, f), { force: true });
      }
      return;
    }
    if (change.kind === "event-destination") {
      const set = change.name.split("/")[0] ?? "";
      try {
        readFileSync(this.file("configuration-set", set), "utf8");
      } catch {
        throw new Error(`configuration set ${set} does not exist`);
      }
    }
    let existingTags: Record<string, string> = {};
    try {
      existingTags = (JSON.parse(readFileSync(file, "utf8")) as Stored).tags ?? {};
    } catch {
      // new resource
    }
    const stored: Stored = {
      spec: change.after ?? {},
      tags: UNTAGGED.has(change.kind) ? {} : change.action === "create" ? tags : { ...existingTags, ...tags },
      ...(change.kind === "identity" ? { status: verifiedAtOnce(change.name, change.after ?? {}) } : {}),
    };
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(stored, null, 2)}\n`);
    renameSync(tmp, file);
  }

  async account(): Promise<AccountFacts> {
    return { productionAccess: true, sendingEnabled: true, sentLast24Hours: 0 };
  }

  async accountId(): Promise<string> {
    return LOCAL_ACCOUNT_ID;
  }

  async identity(identity: string): Promise<IdentityFacts> {
    let stored: Stored;
    try {
      stored = JSON.parse(readFileSync(this.file("identity", identity), "utf8")) as Stored;
    } catch {
      // Before any identity is on file, local sends from anything (see the file header).
      return { identity, verified: !this.hasIdentities() };
    }
    return {
      identity,
      verified: stored.status?.verified ?? true,
      status: stored.status?.verification ?? "SUCCESS",
    };
  }

  private hasIdentities(): boolean {
    try {
      return readdirSync(path.join(this.dir, "identity")).some((f) => f.endsWith(".json"));
    } catch {
      return false;
    }
  }

  sender(): Sender {
    return new LocalSender(this.root, (set) => {
      if (!set) return [];
      try {
        const stored = JSON.parse(readFileSync(this.file("configuration-set", set), "utf8")) as Stored;
        return ((stored.spec.suppress as string[]) ?? []) as ("BOUNCE" | "COMPLAINT")[];
      } catch {
        return [];
      }
    });
  }

  /** `.mailops/local/suppressed` and the mailbox simulator's suppressed address. */
  async suppression(): Promise<SuppressionCheck> {
    return localSuppression(this.root);
  }
}

/** An identity as SES reports it once every DNS record is found: verified, DKIM and MAIL FROM too. */
function verifiedAtOnce(name: string, spec: Spec): IdentityStatus {
  const dkim = spec.dkim as { signing?: boolean } | null | undefined;
  // Three tokens as SES makes them (32 characters), the same for a name on every run.
  const tokens = [1, 2, 3].map((i) => createHash("sha256").update(`${name}/${i}`).digest("hex").slice(0, 32));
  return {
    verification: "SUCCESS",
    verified: true,
    ...(dkim?.signing ? { dkim: { status: "SUCCESS", tokens, hostedZone: "dkim.amazonses.com" } } : {}),
    ...(spec.mailFrom ? { mailFrom: { status: "SUCCESS" } } : {}),
  };
}
