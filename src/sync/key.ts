// Idempotency keys: the same closed window of the same series on the same
// device always gets the same key, so a receiver can drop a delivery it has
// already counted (a retry after a lost response, a pagehide beacon re-sent
// by the next session).
import type { Summary } from '../summary/index.js';

/**
 * The key of a summary: device, model, model version, segment and window,
 * joined with '|' after percent-encoding each part (so no part can forge a
 * separator).
 */
export function idempotencyKey(deviceId: string, s: Pick<Summary, 'model' | 'modelVersion' | 'segment' | 'window'>): string {
  return [deviceId, s.model, s.modelVersion, s.segment, String(s.window.start), String(s.window.end)].map(encodeURIComponent).join('|');
}

/** The series a summary belongs to: summaries of one series merge. */
export function seriesKey(s: Pick<Summary, 'task' | 'model' | 'modelVersion' | 'segment'>): string {
  return [s.task, s.model, s.modelVersion, s.segment].map(encodeURIComponent).join('|');
}
