// Idempotency keys: the same closed window of the same series on the same
// device always gets the same key, so a receiver can drop a delivery it has
// already counted (a retry after a lost response, a pagehide beacon re-sent
// by the next session).
import { InputError } from '../errors.js';
import type { Summary } from '../summary/index.js';

/**
 * The key of a summary: device, model, model version, segment and window,
 * joined with '|' after percent-encoding each part (so no part can forge a
 * separator). A correction (late labels of a window already sent) adds
 * 'correction' and `correction`, an id the device never reuses for that
 * window (e.g. a sequence number committed with it): it is never a
 * duplicate of the window's summary, and two corrections of one window made
 * at different times are two deliveries.
 */
export function idempotencyKey(deviceId: string, s: Pick<Summary, 'model' | 'modelVersion' | 'segment' | 'window' | 'kind'>, correction?: string): string {
  const parts = [deviceId, s.model, s.modelVersion, s.segment, String(s.window.start), String(s.window.end)];
  if (s.kind === 'correction') {
    if (typeof correction !== 'string' || correction.length === 0) {
      throw new InputError('INVALID_OPTION', 'options.correction', `is ${JSON.stringify(correction)}; a correction needs an id its device never reuses for that window (e.g. a sequence number).`);
    }
    parts.push('correction', correction);
  }
  return parts.map(encodeURIComponent).join('|');
}

/** The series a summary belongs to: summaries of one series merge. */
export function seriesKey(s: Pick<Summary, 'task' | 'model' | 'modelVersion' | 'segment'>): string {
  return [s.task, s.model, s.modelVersion, s.segment].map(encodeURIComponent).join('|');
}
