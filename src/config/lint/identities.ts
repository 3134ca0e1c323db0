import { domainOf, isEmail } from "../../util/email.js";
import { error } from "../findings.js";
import { positionOf } from "../model.js";
import { coveringIdentities, identityKey, senderUses } from "../senders.js";
import type { LintContext } from "./context.js";
import { unknownHint } from "./references.js";

/** Letters, digits and `-` per label, at least two labels, a TLD that is not all digits. */
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

const isDomain = (s: string): boolean => DOMAIN.test(s);

/** `identities:` in mailops.yaml: names SES takes, settings that fit the kind of identity. */
export function checkIdentities({ project, report }: LintContext): void {
  const { settings } = project;
  const sets = Object.keys(settings.configurationSets);
  for (const identity of Object.values(settings.identities)) {
    const at =
      (...p: string[]) =>
      () =>
        positionOf(settings, ["identities", identity.name, ...p]);
    const raw = (settings.doc?.data as { identities?: Record<string, Record<string, unknown>> } | undefined)
      ?.identities?.[identity.name];
    const valid = identity.type === "address" ? isEmail(identity.name) : isDomain(identity.name);
    if (!valid) {
      report(
        error(
          "identity/settings",
          () => positionOf(settings, ["identities", identity.name], "key"),
          `\`${identity.name}\` is neither a domain nor an email address`,
          "name a domain (`example.com`) or an address (`news@example.com`)",
        ),
      );
      continue;
    }
    if (identity.type === "address") {
      for (const key of ["dkim", "dmarc"] as const) {
        if (raw && key in raw)
          report(
            error(
              "identity/settings",
              at(key),
              `\`${key}\` is set on the address identity \`${identity.name}\``,
              `${key === "dkim" ? "DKIM" : "DMARC"} belongs to the domain: set it on the identity \`${domainOf(identity.name)}\``,
            ),
          );
      }
    }
    const mailFrom = identity.mailFrom?.domain;
    const parent = domainOf(identity.name);
    if (mailFrom !== undefined && !(isDomain(mailFrom) && mailFrom.toLowerCase().endsWith(`.${parent}`))) {
      report(
        error(
          "identity/settings",
          at("mail_from", "domain"),
          `MAIL FROM domain \`${mailFrom}\` is not a subdomain of \`${parent}\``,
          `SES needs a subdomain of the identity's domain that receives no mail, e.g. \`mail.${parent}\``,
        ),
      );
    }
    const set = identity.configurationSet;
    if (set !== undefined && !(set in settings.configurationSets)) {
      report(
        error(
          "identity/unknown-configuration-set",
          at("configuration_set"),
          `configuration set \`${set}\` is not defined in mailops.yaml`,
          unknownHint(set, sets, "add it under `configuration_sets:`"),
        ),
      );
    }
  }
  checkCoverage({ project, report });
}

/**
 * With identities declared, every From must be covered by one of them or by `sender.identity`
 * (an identity made outside mailops): SES rejects mail from anything else. `plan` checks the
 * same against the identities on the target.
 */
function checkCoverage({ project, report }: LintContext): void {
  const { settings } = project;
  const names = Object.keys(settings.identities);
  if (names.length === 0) return;
  const covering = new Set(names.map(identityKey));
  if (settings.sender.identity) covering.add(identityKey(settings.sender.identity));
  for (const use of senderUses(project)) {
    const candidates = coveringIdentities(use.address);
    if (candidates.some((c) => covering.has(c))) continue;
    report(
      error(
        "identity/from-not-covered",
        use.at,
        `${use.owner} sends from \`${use.address}\`, which no declared identity covers`,
        `declare \`${candidates[0]}\` (or the address itself) under \`identities:\`, or name an identity made outside mailops in \`sender.identity\``,
      ),
    );
  }
}
