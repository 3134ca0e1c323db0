/**
 * Template variables that no subscriber row holds: SES or mailops fill them in at send time. They
 * live here, under the renderer that needs them (eml.ts, sample-data.ts); config/model.ts
 * re-exports them for the lint rules and the send path.
 */

export type UnsubscribeMode = "ses-list" | "link";

/** The variable each unsubscribe mode puts in templates. */
export const UNSUBSCRIBE_VARIABLE: Record<UnsubscribeMode, string> = {
  "ses-list": "amazonSESUnsubscribeUrl",
  link: "unsubscribe_url",
};
