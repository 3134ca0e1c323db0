/** An SES identity as an entry of `identities:`: Easy DKIM's key length, MAIL FROM, default set. */
import { KIND_INFO } from "../plan/kinds.js";
import type { Json, LiveResource } from "../plan/resource.js";
import type { NotImported } from "./types.js";

type Obj = Record<string, unknown>;
const rec = (v: Json | undefined): { [key: string]: Json } =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? v : {};

const KEY_LENGTHS: Record<string, string> = { RSA_2048_BIT: "rsa_2048", RSA_1024_BIT: "rsa_1024" };

/** `dkim:` of a domain (or false), or why mailops cannot say it. */
function dkimSetting(dkim: Json | undefined): string | false | { reason: string } {
  const d = rec(dkim);
  if (dkim === null) return { reason: "SES reports no DKIM settings for it" };
  if (d.signing === false) return false;
  if (d.origin !== "AWS_SES")
    return {
      reason: `it signs with DKIM keys of its own (origin ${String(d.origin)}), which mailops does not manage`,
    };
  const length = KEY_LENGTHS[String(d.keyLength)];
  return length ?? { reason: `its DKIM key length ${String(d.keyLength)} is not one mailops sets` };
}

export function identityDoc(live: LiveResource): Obj | NotImported {
  const s = KIND_INFO.identity.normalize(live.spec);
  const out: Obj = {};
  if (s.type === "domain") {
    const dkim = dkimSetting(s.dkim);
    if (typeof dkim === "object") return { kind: live.kind, name: live.name, reason: dkim.reason };
    out.dkim = dkim;
  } else if (s.dkim !== null) {
    return { kind: live.kind, name: live.name, reason: "an address identity with DKIM settings of its own" };
  }
  if (s.mailFrom !== null) {
    const mf = rec(s.mailFrom);
    out.mail_from = {
      domain: mf.domain,
      on_mx_failure: mf.onMxFailure === "REJECT_MESSAGE" ? "reject" : "use_default",
    };
  }
  if (typeof s.configurationSet === "string") out.configuration_set = s.configurationSet;
  out.adopt = true;
  return out;
}
