// Answers shaped from stored documents, kept as JSON. A document's JSON (decoded,
// presented, shaped to the model, stringified) is made once per stored text and
// reused while the text is unchanged; a changed document is a different text, so
// nothing stale is ever answered. Behind DescribeTasks and DescribeTaskDefinition,
// whose answers are mostly documents and which clients poll.

import { decodeDoc, type EncodedDoc } from "../../protocol/doc-codec.js";

export class RenderedJsonCache<T, R> {
  private readonly kept = new Map<string, { readonly doc: EncodedDoc<T>; readonly rendered: R }>();

  constructor(
    private readonly render: (value: T) => R,
    /** How many keys are kept; the least recently rendered goes first. */
    private readonly max = 1_000,
  ) {}

  /** What the document stored under `key` renders to, while its stored text is `doc`. */
  of(key: string, doc: EncodedDoc<T>): R {
    const known = this.kept.get(key);
    if (known?.doc === doc) return known.rendered;
    const rendered = this.render(decodeDoc(doc));
    this.kept.delete(key);
    this.kept.set(key, { doc, rendered });
    if (this.kept.size > this.max) this.kept.delete(this.kept.keys().next().value!);
    return rendered;
  }
}
