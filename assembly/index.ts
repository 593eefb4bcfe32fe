// The WASM module's exports: every kernel takes byte offsets into linear
// memory and lengths, never one value per call. src/core/exports.ts declares
// the same surface for TypeScript; keep the two in step.

/** Reserves size bytes of linear memory (8-byte aligned) for the caller. */
export function alloc(size: usize): usize {
  return heap.alloc(size);
}

/** Returns memory obtained from alloc. */
export function free(ptr: usize): void {
  heap.free(ptr);
}

export { firstInvalid } from './validate';
export { uniqueLabels, labelIndices, confusionBinary, confusion, thresholdCounts, rankBinary, rankOneVsRest } from './classification';
export { regression } from './regression';
export { latency, quantiles } from './latency';
export { ranking } from './ranking';
export { linregress } from './trend';
// [summaries] exponential histogram insert
export { sketchInsert } from './sketch';
// [estimate] isotonic calibration, calibration bins, drift statistics, CBPE
export { isotonicFit, isotonicApply, calibrationBins } from './calibration';
export { ecdfCompare, ksPValue, kolmogorovSf, driftBins, chi2Sf } from './drift';
export { cbpeConfusion, cbpeRocAuc, aucSamplingComponents } from './estimate';
