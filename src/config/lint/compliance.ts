import { domainOf, normalizeAddress, parseMailbox } from "../../util/email.js";
import { type At, error } from "../findings.js";
import { positionOf, type TemplatePart, UNSUBSCRIBE_VARIABLE } from "../model.js";
import { type LintContext, partPosition } from "./context.js";

/** CAN-SPAM / bulk-sender basics every marketing template and sender must meet. */
export function checkCompliance({ project, report }: LintContext): void {
  const { settings } = project;
  const unsubscribe = UNSUBSCRIBE_VARIABLE[settings.unsubscribe.mode];
  const postal = settings.sender.postalAddress;
  for (const t of project.templates.values()) {
    for (const part of [t.parts.html, t.parts.text]) {
      if (!part || part.analysis.issues.some((i) => i.kind === "syntax")) continue;
      const label = part.part === "html" ? "HTML" : "text";
      if (!uses(part, unsubscribe)) {
        report(
          error(
            "compliance/unsubscribe-link",
            startOf(part),
            `${label} part has no unsubscribe link \`{{${unsubscribe}}}\``,
            settings.unsubscribe.mode === "ses-list"
              ? "with `unsubscribe.mode: ses-list`, SES fills in `{{amazonSESUnsubscribeUrl}}`; add it to both HTML and text"
              : "with `unsubscribe.mode: link`, mailops fills in `{{unsubscribe_url}}`; add it to both HTML and text",
          ),
        );
      }
      if (postal !== undefined && !uses(part, "postal_address") && !part.source.includes(postal)) {
        report(
          error(
            "compliance/postal-address",
            startOf(part),
            `${label} part does not show the postal address from \`sender.postal_address\``,
            "add `{{postal_address}}` (filled in by mailops) or the address itself, usually in the footer",
          ),
        );
      }
    }
  }

  const senders: { text: string; at: At; owner: string }[] = [];
  if (settings.sender.from !== undefined)
    senders.push({
      text: settings.sender.from,
      at: () => positionOf(settings, ["sender", "from"]),
      owner: "`sender.from`",
    });
  for (const c of project.campaigns.values()) {
    if (c.from !== undefined)
      senders.push({ text: c.from, at: () => positionOf(c, ["from"]), owner: `campaign \`${c.name}\`` });
  }
  const identity = settings.sender.identity;
  for (const s of senders) {
    const mailbox = parseMailbox(s.text);
    if (!mailbox) {
      report(
        error(
          "sender/invalid-from",
          s.at,
          `\`${s.text}\` is not an email address`,
          'write `"Display Name <user@example.com>"` or a bare address',
        ),
      );
      continue;
    }
    // With `identities:` declared, identity/from-not-covered checks every From against all of them.
    if (identity === undefined || Object.keys(settings.identities).length > 0) continue;
    // Compared in key form, as everywhere an address is (util/email.ts normalizeAddress).
    const matches = identity.includes("@")
      ? normalizeAddress(mailbox.address) === normalizeAddress(identity)
      : domainOf(mailbox.address) === domainOf(identity);
    if (!matches) {
      report(
        error(
          "compliance/from-identity",
          s.at,
          `${s.owner} sends from \`${identity.includes("@") ? mailbox.address : domainOf(mailbox.address)}\`, which is not the sender identity \`${settings.sender.identity}\``,
          "SES only sends from verified identities, and DMARC needs the From domain to align; use an address at the identity's domain",
        ),
      );
    }
  }
}

function uses(part: TemplatePart, variable: string): boolean {
  return part.analysis.variables.some((v) => v.name === variable);
}

function startOf(part: TemplatePart) {
  return partPosition(part, 1, 1);
}
