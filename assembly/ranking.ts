// Ranking kernel: precision@k, recall@k, NDCG@k and reciprocal rank for many
// queries in one call. Item identity (set membership) is resolved by the
// TypeScript layer, which hands over per-position gains.


/**
 * For q queries, rows of `width` (<= k) ranks: gains[j*width + i] is the gain
 * of query j's item at rank i (0 when not relevant, or past the end of the
 * list), ideal[j*width + i] the i-th largest gain of the ideal ranking; ranks
 * beyond `width` hold nothing (every list and relevant set is shorter), so
 * only the precision divisor k needs them; relevant[q] the number of relevant items, listLen[q]
 * the length of the ranked list, firstHit[q] the 0-based rank of the first
 * relevant item anywhere in the list (-1 if none).
 * out[4j..4j+3] = precision@k, recall@k, ndcg@k, reciprocal rank of query j.
 */
export function ranking(
  q: i32, k: f64, width: i32, gains: usize, ideal: usize, relevant: usize, firstHit: usize, out: usize,
): void {
  // log2(i + 2): the rank discount, computed once per call.
  const disc = heap.alloc(<usize>max(width, 1) << 3);
  for (let i = 0; i < width; i++) store<f64>(disc + (<usize>i << 3), Math.log2(<f64>(i + 2)));
  for (let j = 0; j < q; j++) {
    const row = gains + (<usize>j * <usize>width << 3);
    const irow = ideal + (<usize>j * <usize>width << 3);
    let hits = 0;
    let dcg: f64 = 0;
    let idcg: f64 = 0;
    for (let i = 0; i < width; i++) {
      const g = load<f64>(row + (<usize>i << 3));
      const d = load<f64>(disc + (<usize>i << 3));
      if (g > 0) hits++;
      dcg += g / d; // gain / log2(rank + 1), as the spec chapter
      idcg += load<f64>(irow + (<usize>i << 3)) / d;
    }
    const rel = load<f64>(relevant + (<usize>j << 3));
    const first = load<i32>(firstHit + (<usize>j << 2));
    const o = out + (<usize>j << 5);
    store<f64>(o, <f64>hits / k);
    store<f64>(o + 8, rel > 0 ? <f64>hits / rel : 0.0);
    store<f64>(o + 16, idcg > 0 ? dcg / idcg : 0.0);
    store<f64>(o + 24, first >= 0 ? 1.0 / <f64>(first + 1) : 0.0);
  }
  heap.free(disc);
}
