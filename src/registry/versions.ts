// Version ordering for the two package managers the scanner reads: dpkg's
// (epoch:upstream-revision, with '~' sorting before everything) and apk's
// (digits, a letter, suffixes _alpha … _p, then -rN).

function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c >= "0" && c <= "9") return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  if (c === "~") return -1;
  return c.charCodeAt(0) + 256;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/** dpkg's verrevcmp: compares an upstream version or a revision. */
function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

function splitDpkg(v: string): { epoch: number; upstream: string; revision: string } {
  const colon = v.indexOf(":");
  const epoch = colon > 0 ? Number(v.slice(0, colon)) || 0 : 0;
  const rest = colon > 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf("-");
  return dash >= 0 ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) } : { epoch, upstream: rest, revision: "" };
}

/** <0, 0, >0 as dpkg --compare-versions orders a and b. */
export function compareDpkg(a: string, b: string): number {
  const x = splitDpkg(a.trim());
  const y = splitDpkg(b.trim());
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  return Math.sign(verrevcmp(x.upstream, y.upstream)) || Math.sign(verrevcmp(x.revision, y.revision));
}

const apkSuffixOrder = ["alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"];

interface ApkVersion {
  readonly numbers: readonly string[];
  readonly letter: string;
  readonly suffixes: readonly { readonly kind: number; readonly n: number }[];
  readonly revision: number;
}

function parseApk(v: string): ApkVersion | undefined {
  const m = /^(\d+(?:\.\d+)*)([a-z]?)((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*)(?:~[0-9a-f]+)?(?:-r(\d+))?$/.exec(v.trim());
  if (!m) return undefined;
  const suffixes = [...(m[3] ?? "").matchAll(/_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)/g)].map((s) => ({
    kind: apkSuffixOrder.indexOf(s[1] ?? ""),
    n: s[2] === "" ? 0 : Number(s[2]),
  }));
  return { numbers: (m[1] ?? "").split("."), letter: m[2] ?? "", suffixes, revision: m[4] === undefined ? 0 : Number(m[4]) };
}

/** <0, 0, >0 as apk orders a and b (unparseable versions compare as text). */
export function compareApk(a: string, b: string): number {
  const x = parseApk(a);
  const y = parseApk(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 0; i < Math.max(x.numbers.length, y.numbers.length); i++) {
    const p = x.numbers[i];
    const q = y.numbers[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    // apk compares later components with a leading zero as fractions ("1.02" < "1.1").
    const diff = i > 0 && (p.startsWith("0") || q.startsWith("0")) ? (p < q ? -1 : p > q ? 1 : 0) : Number(p) - Number(q);
    if (diff !== 0) return Math.sign(diff);
  }
  if (x.letter !== y.letter) return x.letter < y.letter ? -1 : 1;
  const none = { kind: apkSuffixOrder.indexOf(""), n: 0 };
  for (let i = 0; i < Math.max(x.suffixes.length, y.suffixes.length); i++) {
    const s = x.suffixes[i] ?? none;
    const t = y.suffixes[i] ?? none;
    if (s.kind !== t.kind) return Math.sign(s.kind - t.kind);
    if (s.n !== t.n) return Math.sign(s.n - t.n);
  }
  return Math.sign(x.revision - y.revision);
}
