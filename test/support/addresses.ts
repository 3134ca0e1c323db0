/**
 * Addresses at the edges of the rule (util/email.ts isEmail) and a way to make more near them,
 * for the tests of its fast forms (audience/email-fast.ts, audience/chunk-bytes.ts).
 */

/** A small deterministic generator, so a failure reproduces. */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export const ADDRESS_CASES = [
  "a@b.co",
  "ann.lee+tag@mail.example.com",
  "a@b",
  "@b.co",
  "a@",
  "a@@b.co",
  "a@b@c.co",
  ".a@b.co",
  "a.@b.co",
  "a..b@c.co",
  "a@-b.co",
  "a@b-.co",
  "a@b..co",
  "a@.b.co",
  "a@b.co.",
  "a b@c.co",
  "é@b.co",
  "a@é.co",
  "a@b_c.co",
  "a@b.c-d.co",
  "!#$%&'*+/=?^_`{|}~-@x.io",
  "",
  "@",
  `${"a".repeat(64)}@b.co`,
  `${"a".repeat(65)}@b.co`,
  `a@${"b".repeat(63)}.co`,
  `a@${"b".repeat(64)}.co`,
  `a@${`${"b".repeat(60)}.`.repeat(4)}com`,
  `${"a".repeat(60)}@${`${"b".repeat(62)}.`.repeat(3)}co`,
  // Internationalized domains: valid in their ASCII (punycode) form.
  "a@bücher.example",
  "a@BÜCHER.example",
  "a@bu\u0308cher.example",
  "a@例え.テスト",
  "a@-é.co",
  "a@é-.co",
  "a@é_.co",
  "a@é%41.co",
  "a@é..co",
  "a@.é.co",
  "a@é.co.",
  "a@é",
  "a@b@é.co",
  "a@exam\u00adple.cö",
  "a@１２７.０.０.１",
  "é@bücher.example",
  `a@${"ü".repeat(64)}.co`,
  `u@${Array(7).fill("üäößéèêëïîôœùûçñáíóú").join(".")}.example`,
  `${"u".repeat(20)}@${Array(7).fill("üäößéèêëïîôœùûçñáíóú").join(".")}.example`,
];

/** `s` with one to `most` characters of `alphabet` changed, added or removed. */
export function nearAddress(s: string, next: () => number, alphabet: readonly string[], most = 3): string {
  for (let edits = 1 + Math.floor(next() * most); edits > 0; edits--) {
    const at = Math.floor(next() * (s.length + 1));
    const ch = alphabet[Math.floor(next() * alphabet.length)] as string;
    const op = next();
    if (op < 0.4) s = s.slice(0, at) + ch + s.slice(at + 1);
    else if (op < 0.8) s = s.slice(0, at) + ch + s.slice(at);
    else s = s.slice(0, at) + s.slice(at + 1);
  }
  return s;
}
