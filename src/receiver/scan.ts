// The shape of a body, checked on its bytes before JSON.parse: nesting depth,
// objects and arrays, and values. JSON.parse's time and memory grow with
// these, not only with the byte count (a deeply nested 8 MiB body cost
// seconds and hundreds of MB before this check), so a hostile body is refused
// after one linear pass that allocates nothing.
import { InputError } from '../errors.js';

/** Limits of scanJson. */
export interface ShapeLimits {
  maxDepth: number;
  maxContainers: number;
  maxValues: number;
}

const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;
const OPEN_OBJECT = 0x7b, OPEN_ARRAY = 0x5b, CLOSE_OBJECT = 0x7d, CLOSE_ARRAY = 0x5d;

function tooComplex(message: string): never {
  throw new InputError('BODY_TOO_COMPLEX', 'body', `${message}; send fewer or flatter entries per request.`);
}

/**
 * Throws InputError('BODY_TOO_COMPLEX') if the JSON text in `bytes` nests
 * deeper than maxDepth or holds more containers or values than allowed.
 * Malformed JSON passes (JSON.parse reports it); only cost is judged here.
 * Values are counted as commas plus containers: an upper bound on the
 * elements JSON.parse will allocate, within one per container.
 */
export function scanJson(bytes: Uint8Array, limits: ShapeLimits): void {
  let depth = 0, containers = 0, values = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
      continue;
    }
    if (b === QUOTE) inString = true;
    else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (++depth > limits.maxDepth) tooComplex(`nests deeper than ${limits.maxDepth} levels`);
      if (++containers > limits.maxContainers) tooComplex(`holds more than ${limits.maxContainers} objects and arrays`);
      if (++values > limits.maxValues) tooComplex(`holds more than ${limits.maxValues} values`);
    } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) depth--;
    else if (b === COMMA && ++values > limits.maxValues) tooComplex(`holds more than ${limits.maxValues} values`);
  }
}
