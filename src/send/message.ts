/**
 * From a recipient to the complete data SES gets for them, or the reason they are skipped.
 *
 * Precedence is SES's own: the recipient's fields over the campaign's `data` (which acts as
 * defaults) and `postal_address`; the link-mode unsubscribe URL over all of them.
 *
 * Policy on markup (docs/data-safety.md): SES substitutes values without escaping and uses one data
 * object for the subject, HTML and text, so escaping for HTML would garble the text part. Instead
 * every value that reaches a use is checked against the context of that use (render/value-safety.ts):
 * `<` or `>` in HTML text, the delimiting quote in an attribute, anything but an http(s)/mailto URL
 * where a value starts a link, a line break in the subject. That holds whichever source provided the
 * value: a subscriber field is checked per recipient; campaign `data` and the built-ins are checked
 * once here (and `data` also by validate), and refuse every recipient that does not override them.
 * A refused recipient is skipped with reason `unsafe value in field <name> (<context>)`; the value
 * itself, personal data, is never part of it.
 *
 * Lookups are own-property only (`toString` is missing unless the data has it), like SES's.
 */
import type { Campaign, Project, Template } from "../config/model.js";
import { UNSUBSCRIBE_VARIABLE } from "../config/model.js";
import { MailopsError } from "../errors.js";
import type { Context } from "../render/html-context.js";
import { firstMissing, firstMissingOf, requiredPaths } from "../render/ses-render.js";
import { ANY_ROOT, contextLabel, type RootCheck, safetyChecks } from "../render/value-safety.js";
import { assertUnsubscribeSecret, unsubscribeUrl } from "./unsubscribe.js";

export interface MessageRecipient {
  address: string;
  key: string;
  fields: Record<string, unknown>;
}

export type Prepared =
  | { ok: true; data: Record<string, unknown>; headers: { name: string; value: string }[] }
  | { ok: false; reason: string };

export interface MessageBuilder {
  prepare(r: MessageRecipient): Prepared;
  /**
   * prepare(r)'s outcome without building the data: undefined where it is ok, else its reason.
   * A count asks it of every recipient (the render check), a send asks prepare().
   */
  skipReason(r: MessageRecipient): string | undefined;
}

export function messageBuilder(
  project: Project,
  campaign: Campaign,
  template: Template,
  secret: string | undefined,
): MessageBuilder {
  const rules = messageRules(project, campaign, template, secret);
  const verdict = compileVerdict(rules);
  return {
    prepare: (r) => prepare(rules, r),
    skipReason: verdict ? (r) => verdict(r.fields) : (r) => preparedVerdict(rules, r),
  };
}

/** What every recipient's data is built from and checked against: worked out once per campaign. */
interface Rules {
  /** The campaign's `data` and `postal_address`: defaults under each recipient's fields. */
  base: Record<string, unknown>;
  /** Variables the template needs a value for. */
  required: string[][];
  /** Safety checks of the subscriber fields a template uses, by field. */
  fieldChecks: RootCheck[];
  /** Defaults that break a rule: each refuses a recipient without a value of their own. */
  baseRefusals: { root: string; reason: string }[];
  /** Checks for a use whose variable is not known (any value could land there). */
  anyRoot: RootCheck[];
  /** Link mode: the unsubscribe URL each recipient gets, and the check of where it is used. */
  link?: { url: string; secret: string; campaign: Campaign; check: RootCheck | undefined };
}

function messageRules(
  project: Project,
  campaign: Campaign,
  template: Template,
  secret: string | undefined,
): Rules {
  const { settings } = project;
  const analyses = Object.values(template.parts).map((p) => p.analysis);
  const mode = settings.unsubscribe.mode;
  // SES fills {{amazonSESUnsubscribeUrl}} itself in ses-list mode: not ours to provide.
  const required = requiredPaths(analyses).filter(
    (p) => !(mode === "ses-list" && p[0] === UNSUBSCRIBE_VARIABLE["ses-list"]),
  );
  assertNoProtoKey(campaign);
  const base: Record<string, unknown> = { ...campaign.data };
  if (settings.sender.postalAddress !== undefined) base.postal_address = settings.sender.postalAddress;
  const linkMode = mode === "link";
  if (linkMode) {
    // Refused here, before anything is sent: a missing or short secret (UnsubscribeSecretError).
    assertUnsubscribeSecret(secret);
    if (!settings.unsubscribe.url) throw new Error("link unsubscribe mode needs `unsubscribe.url`");
  }
  const checks = safetyChecks(analyses);
  const linkVariable = linkMode ? UNSUBSCRIBE_VARIABLE.link : undefined;
  const linkCheck = checks.find((c) => c.root === linkVariable);
  const fieldChecks = checks.filter((c) => c.root !== ANY_ROOT && c !== linkCheck);
  const fromSettings = settings.sender.postalAddress !== undefined ? "postal_address" : undefined;
  return {
    base,
    required,
    fieldChecks,
    baseRefusals: refusedDefaults(fieldChecks, base, fromSettings),
    anyRoot: checks.filter((c) => c.root === ANY_ROOT),
    ...(linkMode
      ? {
          link: {
            url: settings.unsubscribe.url as string,
            secret: secret as string,
            campaign,
            check: linkCheck,
          },
        }
      : {}),
  };
}

/**
 * prepare() copies with Object.assign, which would run the __proto__ setter for such a key
 * (subscriber fields cannot have one: audience/fields.ts refuses the name).
 */
function assertNoProtoKey(campaign: Campaign): void {
  if (!Object.hasOwn(campaign.data, "__proto__")) return;
  throw new MailopsError(
    `campaign ${campaign.name}: data has a key named __proto__`,
    "rename the key in the campaign's data",
  );
}

const skip = (reason: string): Prepared => ({ ok: false, reason });

/** One recipient's data and headers, or why they are skipped (runs per recipient: kept lean). */
function prepare(rules: Rules, r: MessageRecipient): Prepared {
  const fields = r.fields;
  const { fieldChecks } = rules;
  for (let i = 0; i < fieldChecks.length; i++) {
    const check = fieldChecks[i] as RootCheck;
    if (!Object.hasOwn(fields, check.root)) continue;
    const bad = check.test(fields[check.root]);
    if (bad) return skip(unsafeField(check.root, bad));
  }
  for (const refused of rules.baseRefusals)
    if (!Object.hasOwn(fields, refused.root)) return skip(refused.reason);
  // Object.assign, not spread: V8 spreads parsed rows about twenty times slower (measured).
  const data: Record<string, unknown> = Object.assign({}, rules.base, fields);
  const headers: { name: string; value: string }[] = [];
  if (rules.link) {
    const refused = addUnsubscribe(rules.link, r, data, headers);
    if (refused) return skip(refused);
  }
  for (const check of rules.anyRoot) {
    for (const key of Object.keys(data)) {
      const bad = check.test(data[key]);
      if (bad) return skip(`unsafe value in ${key} (${contextLabel(bad)})`);
    }
  }
  const missing = firstMissing(rules.required, data);
  if (missing) return skip(`missing variable ${missing}`);
  return { ok: true, data, headers };
}

/** prepare()'s verdict where it reads the built data (link mode, checks of unknown variables). */
function preparedVerdict(rules: Rules, r: MessageRecipient): string | undefined {
  const p = prepare(rules, r);
  return p.ok ? undefined : p.reason;
}

/** Why a field's value is refused where the template writes it. */
const unsafeField = (root: string, bad: Context) => `unsafe value in field ${root} (${contextLabel(bad)})`;

type Verdict = (fields: Record<string, unknown>) => string | undefined;

/**
 * prepare()'s verdict without building the data, for one campaign, as one function with each
 * field's name written in: a variable is looked up in the fields, then in the defaults, as in the
 * data prepare() builds (neither has a `__proto__` key: assertNoProtoKey, audience/fields.ts).
 * Reading a property by a name the code holds is one inline cache, where a loop reads by a name in
 * a variable, a generic lookup per rule and field (most of a count's render check). So is `in`
 * with such a name, where Object.hasOwn is a call per absent field (a template's variables are
 * mostly the campaign's, absent from the row): for a name objects do not inherit, a value that
 * reads undefined is an own property exactly when `in` finds it. The same
 * checks in the same order; a name objects inherit (`constructor`, `toString`) and a nested path
 * keep the generic lookup. Link mode and unknown variables read the built data (every key of it,
 * the recipient's own URL): those are left to preparedVerdict().
 */
function compileVerdict(rules: Rules): Verdict | undefined {
  if (rules.link || rules.anyRoot.length > 0) return undefined;
  const lit = (name: string) => JSON.stringify(name);
  // A name no object inherits: a read that finds nothing means the field is not the row's own.
  const plain = (name: string) => !(name in Object.prototype);
  const lines: string[] = ["let v, b;"];
  rules.fieldChecks.forEach((check, i) => {
    const r = lit(check.root);
    // An undefined value is never unsafe (it renders nothing): whether the row owns one is
    // asked only of a name objects inherit, whose read finds the prototype's.
    const own = plain(check.root) ? `(v = f[${r}]) !== undefined` : `has(f, ${r}) && ((v = f[${r}]), true)`;
    lines.push(`if (${own}) { b = checks[${i}].test(v); if (b) return unsafe(${r}, b); }`);
  });
  rules.baseRefusals.forEach((refused, i) => {
    lines.push(`if (!has(f, ${lit(refused.root)})) return refusals[${i}].reason;`);
  });
  const missing = rules.required.map((path) => `missing variable ${path.join(".")}`);
  rules.required.forEach((path, i) => {
    const root = path[0] as string;
    const r = lit(root);
    if (path.length === 1 && plain(root)) {
      // From the row when it has the field, else from the campaign's data (fixed: decided here);
      // a field the row lacks and the data has not is missing without asking whose it is.
      const inBase = firstMissingOf([path], {}, rules.base) === undefined;
      lines.push(
        `v = f[${r}]; if (v === undefined ? ${!inBase} || ${r} in f : v === null) return missing[${i}];`,
      );
    } else {
      lines.push(`if (firstMissingOf(required[${i}], f, base) !== undefined) return missing[${i}];`);
    }
  });
  lines.push("return undefined;");
  const make = new Function(
    "has, checks, refusals, required, base, missing, firstMissingOf, unsafe",
    `return (f) => { ${lines.join("\n")} };`,
  );
  return make(
    Object.hasOwn,
    rules.fieldChecks,
    rules.baseRefusals,
    rules.required.map((p) => [p]),
    rules.base,
    missing,
    firstMissingOf,
    unsafeField,
  ) as Verdict;
}

/** Link mode: the recipient's own unsubscribe URL into the data and headers; a refusal, if unsafe. */
function addUnsubscribe(
  link: NonNullable<Rules["link"]>,
  r: MessageRecipient,
  data: Record<string, unknown>,
  headers: { name: string; value: string }[],
): string | undefined {
  const { campaign } = link;
  const url = unsubscribeUrl(link.url, link.secret, {
    email: r.key,
    campaign: campaign.name,
    ...(campaign.topic ? { topic: campaign.topic } : {}),
  });
  const bad = link.check?.test(url);
  if (bad) return `unsafe value in ${UNSUBSCRIBE_VARIABLE.link} (${contextLabel(bad)})`;
  data[UNSUBSCRIBE_VARIABLE.link] = url;
  headers.push(
    { name: "List-Unsubscribe", value: `<${url}>` },
    { name: "List-Unsubscribe-Post", value: "List-Unsubscribe=One-Click" },
  );
  return undefined;
}

/**
 * The defaults (campaign `data`, `postal_address`) that break a rule where the template writes
 * them: checked once, they refuse every recipient that does not bring a value of their own.
 */
function refusedDefaults(
  checks: RootCheck[],
  base: Record<string, unknown>,
  fromSettings: string | undefined,
): { root: string; reason: string }[] {
  const out: { root: string; reason: string }[] = [];
  for (const check of checks) {
    if (!Object.hasOwn(base, check.root)) continue;
    const bad = check.test(base[check.root]);
    if (!bad) continue;
    const source = check.root === fromSettings ? "setting" : "campaign data";
    out.push({ root: check.root, reason: `unsafe value in ${source} ${check.root} (${contextLabel(bad)})` });
  }
  return out;
}
