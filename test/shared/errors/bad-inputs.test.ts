// Every public metric function, every kind of bad input: a typed error with a
// stable code that names the argument (and element) and says how to fix it.
import { beforeAll } from 'vitest';
import {
  MAX_CLASSES, classificationMetrics, fromConfusion, init, latencySla, latencyStats, linearTrend, ndcgAtK, percentiles,
  precisionAtK, precisionRecallCurve, rankingMetrics, recallAtK, reciprocalRank, regressionMetrics,
  regressionMetricsBySegment, rocCurve, scoreMetrics, thresholdMetrics,
} from '../../../src/index.js';
import type { ErrorCode } from '../../../src/index.js';
import { bad, table } from './expect-error.js';
import type { Case } from './expect-error.js';

beforeAll(() => init());


/** Bad numeric columns shared by every function taking one: [label, value, code, element suffix]. */
const badColumns = (ok: number[]): Array<[string, unknown, ErrorCode, string]> => [
  ['NaN', [...ok.slice(0, 1), NaN, ...ok.slice(2)], 'NON_FINITE', '[1]'],
  ['Infinity', [...ok.slice(0, 2), Infinity], 'NON_FINITE', '[2]'],
  ['-Infinity in a Float64Array', Float64Array.from([-Infinity, ...ok.slice(1)]), 'NON_FINITE', '[0]'],
  ['NaN in a Float32Array', Float32Array.from([...ok.slice(0, 2), NaN]), 'NON_FINITE', '[2]'],
  ['null element', [ok[0], null, ...ok.slice(2)], 'NOT_NUMERIC', '[1]'],
  ['undefined element', [ok[0], ok[1], undefined], 'NOT_NUMERIC', '[2]'],
  ['hole in a sparse array', [ok[0], , ok[2]], 'NOT_NUMERIC', '[1]'],
  ['numeric string element', [String(ok[0]), ...ok.slice(1)], 'NOT_NUMERIC', '[0]'],
  ['boolean element', [ok[0], true, ok[2]], 'NOT_NUMERIC', '[1]'],
  ['BigInt64Array', BigInt64Array.from([0n, 1n, 1n]), 'NOT_NUMERIC', ''],
  ['BigUint64Array', BigUint64Array.from([0n, 1n, 1n]), 'NOT_NUMERIC', ''],
  ['a string', '011', 'NOT_NUMERIC', ''],
  ['null', null, 'NOT_NUMERIC', ''],
  ['undefined', undefined, 'NOT_NUMERIC', ''],
  ['an array-like object', { length: 3, 0: 0, 1: 1, 2: 1 }, 'NOT_NUMERIC', ''],
  ['a DataView', new DataView(new ArrayBuffer(24)), 'NOT_NUMERIC', ''],
];

/** Cases for a function whose first two arguments are paired columns (3 rows valid: ok). */
function pairCases(
  f: (a: unknown, b: unknown) => unknown, names: [string, string], ok: [number[], number[]],
): Case[] {
  const [a, b] = names;
  const cases: Case[] = [
    ['length mismatch', () => f(ok[0], ok[1].slice(0, 2)), 'LENGTH_MISMATCH', b],
    ['longer second column', () => f(ok[0], [...ok[1], ok[1][0]]), 'LENGTH_MISMATCH', b],
    ['empty input', () => f([], []), 'EMPTY_INPUT', a],
    ['empty typed arrays', () => f(new Float64Array(0), new Float64Array(0)), 'EMPTY_INPUT', a],
  ];
  for (const [label, value, code, suffix] of badColumns(ok[0])) cases.push([`${a}: ${label}`, () => f(value, ok[1]), code, a + suffix]);
  for (const [label, value, code, suffix] of badColumns(ok[1])) cases.push([`${b}: ${label}`, () => f(ok[0], value), code, b + suffix]);
  return cases;
}

const labels: [number[], number[]] = [[0, 1, 1], [1, 1, 0]];

table('classificationMetrics', [
  ...pairCases((a, b) => classificationMetrics(bad(a), bad(b)), ['yTrue', 'yPred'], labels),
  ['non-integer yTrue', () => classificationMetrics([0, 1.5, 1], [0, 1, 1]), 'NON_INTEGER_LABEL', 'yTrue[1]'],
  ['non-integer yPred', () => classificationMetrics([0, 1, 1], [0, 1, 0.999]), 'NON_INTEGER_LABEL', 'yPred[2]'],
  ['label beyond 2^53', () => classificationMetrics([0, 2 ** 60], [0, 0]), 'NON_INTEGER_LABEL', 'yTrue[1]'],
  ['more than MAX_CLASSES classes', () => {
    const y = Array.from({ length: MAX_CLASSES + 1 }, (_, i) => i);
    return classificationMetrics(y, y);
  }, 'TOO_MANY_CLASSES', 'yTrue/yPred'],
  ['more than MAX_CLASSES sparse classes', () => {
    const y = Array.from({ length: MAX_CLASSES + 1 }, (_, i) => i * 1e7);
    return classificationMetrics(y, y);
  }, 'TOO_MANY_CLASSES', 'yTrue/yPred'],
  ['yProb above 1', () => classificationMetrics([0, 1, 1], [0, 1, 1], [0.2, 1.5, 0.9]), 'PROBABILITY_OUT_OF_RANGE', 'yProb[1]'],
  ['yProb below 0', () => classificationMetrics([0, 1, 1], [0, 1, 1], [-0.1, 0.5, 0.9]), 'PROBABILITY_OUT_OF_RANGE', 'yProb[0]'],
  ['yProb NaN', () => classificationMetrics([0, 1, 1], [0, 1, 1], [0.1, 0.5, NaN]), 'NON_FINITE', 'yProb[2]'],
  ['yProb Infinity', () => classificationMetrics([0, 1, 1], [0, 1, 1], [0.1, Infinity, 0.3]), 'NON_FINITE', 'yProb[1]'],
  ['yProb null element', () => classificationMetrics([0, 1, 1], [0, 1, 1], bad([0.1, null, 0.3])), 'NOT_NUMERIC', 'yProb[1]'],
  ['yProb BigInt64Array', () => classificationMetrics([0, 1, 1], [0, 1, 1], bad(new BigInt64Array(3))), 'NOT_NUMERIC', 'yProb'],
  ['yProb not a multiple of n', () => classificationMetrics([0, 1, 1], [0, 1, 1], [0.1, 0.2, 0.3, 0.4]), 'SHAPE_MISMATCH', 'yProb'],
  ['one score per row for multiclass labels', () => classificationMetrics([0, 1, 2], [0, 1, 2], [0.1, 0.2, 0.3]), 'NOT_BINARY', 'yProb'],
  ['matrix with the wrong number of columns', () => classificationMetrics([0, 1, 2], [0, 1, 2], [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]), 'SHAPE_MISMATCH', 'yProb'],
  ['flat matrix with the wrong number of columns', () => classificationMetrics([0, 1, 2], [0, 1, 2], new Array<number>(12).fill(0.25)), 'SHAPE_MISMATCH', 'yProb'],
  ['ragged matrix rows', () => classificationMetrics([0, 1, 2], [0, 1, 2], [[0.2, 0.3, 0.5], [0.5, 0.5], [0, 0, 1]]), 'SHAPE_MISMATCH', 'yProb[1]'],
  ['matrix with too few rows', () => classificationMetrics([0, 1, 2], [0, 1, 2], [[0.2, 0.3, 0.5], [0, 0, 1]]), 'LENGTH_MISMATCH', 'yProb'],
  ['matrix row with null', () => classificationMetrics([0, 1, 2], [0, 1, 2], bad([[0.2, 0.3, 0.5], [0, null, 1], [0, 0, 1]])), 'NOT_NUMERIC', 'yProb[1][1]'],
  ['matrix row that is not an array', () => classificationMetrics([0, 1, 2], [0, 1, 2], bad([[0.2, 0.3, 0.5], 'abc', [0, 0, 1]])), 'NOT_NUMERIC', 'yProb[1]'],
  // The element is named by its row and column, as the caller passed it.
  ['matrix probability out of range', () => classificationMetrics([0, 1, 2], [0, 1, 2], [[0.2, 0.3, 0.5], [0, 1.25, 1], [0, 0, 1]]), 'PROBABILITY_OUT_OF_RANGE', 'yProb[1][1]'],
  ['matrix NaN', () => classificationMetrics([0, 1, 2], [0, 1, 2], [[0.2, 0.3, 0.5], [0, 0, 1], [0, NaN, 1]]), 'NON_FINITE', 'yProb[2][1]'],
  ['flat matrix probability out of range', () => classificationMetrics([0, 1, 2], [0, 1, 2], [0.2, 0.3, 0.5, 0, 1.25, 1, 0, 0, 1]), 'PROBABILITY_OUT_OF_RANGE', 'yProb[4]'],
]);

const binaryScoreCases = (f: (a: unknown, b: unknown) => unknown, scoreName: string, unit: boolean): Case[] => [
  ...pairCases(f, ['yTrue', scoreName], [[0, 1, 1], [0.25, 0.5, 0.75]]),
  ['non-binary yTrue', () => f([0, 2, 1], [0.1, 0.2, 0.3]), 'NOT_BINARY', 'yTrue'],
  ['negative label', () => f([0, -1, 1], [0.1, 0.2, 0.3]), 'NOT_BINARY', 'yTrue'],
  ['non-integer yTrue', () => f([0, 0.5, 1], [0.1, 0.2, 0.3]), 'NON_INTEGER_LABEL', 'yTrue[1]'],
  ...(unit
    ? [['score above 1', () => f([0, 1, 1], [0.1, 2, 0.3]), 'PROBABILITY_OUT_OF_RANGE', `${scoreName}[1]`] as Case]
    : []),
];

table('scoreMetrics', binaryScoreCases((a, b) => scoreMetrics(bad(a), bad(b)), 'yScore', false));
table('thresholdMetrics', [
  ...binaryScoreCases((a, b) => thresholdMetrics(bad(a), bad(b)), 'yProb', true),
  ['NaN threshold', () => thresholdMetrics([0, 1], [0.2, 0.8], [0.5, NaN]), 'NON_FINITE', 'thresholds[1]'],
  ['null threshold', () => thresholdMetrics([0, 1], [0.2, 0.8], bad([null])), 'NOT_NUMERIC', 'thresholds[0]'],
  ['thresholds not an array', () => thresholdMetrics([0, 1], [0.2, 0.8], bad(0.5)), 'NOT_NUMERIC', 'thresholds'],
]);
table('rocCurve', [
  ...binaryScoreCases((a, b) => rocCurve(bad(a), bad(b)), 'yScore', false),
  ['dropIntermediate not a boolean', () => rocCurve([0, 1], [0.2, 0.8], bad({ dropIntermediate: 'yes' })), 'INVALID_OPTION', 'options.dropIntermediate'],
  ['options null', () => rocCurve([0, 1], [0.2, 0.8], bad(null)), 'INVALID_OPTION', 'options'],
]);
table('precisionRecallCurve', binaryScoreCases((a, b) => precisionRecallCurve(bad(a), bad(b)), 'yScore', false));

table('fromConfusion', [
  ['cells not classes^2', () => fromConfusion([0, 1], [1, 2, 3], 6), 'SHAPE_MISMATCH', 'cells'],
  ['negative count', () => fromConfusion([0, 1], [1, -2, 3, 4], 6), 'NEGATIVE_VALUE', 'cells[1]'],
  ['NaN count', () => fromConfusion([0, 1], [1, NaN, 3, 4], 8), 'NON_FINITE', 'cells[1]'],
  ['null class', () => fromConfusion(bad([0, null]), [1, 2, 3, 4], 10), 'NOT_NUMERIC', 'classes[1]'],
]);

table('regressionMetrics', pairCases((a, b) => regressionMetrics(bad(a), bad(b)), ['yTrue', 'yPred'], [[1.5, -2, 3], [1, 2.25, 3]]));
table('regressionMetricsBySegment', [
  ...pairCases((a, b) => regressionMetricsBySegment(bad(a), bad(b), ['a', 'b', 'a']), ['yTrue', 'yPred'], [[1.5, -2, 3], [1, 2.25, 3]]),
  ['segments length mismatch', () => regressionMetricsBySegment([1, 2, 3], [1, 2, 3], ['a', 'b']), 'LENGTH_MISMATCH', 'segments'],
  ['NaN segment', () => regressionMetricsBySegment([1, 2, 3], [1, 2, 3], [0, NaN, 1]), 'NOT_NUMERIC', 'segments[1]'],
  ['null segment', () => regressionMetricsBySegment([1, 2, 3], [1, 2, 3], bad(['a', 'b', null])), 'NOT_NUMERIC', 'segments[2]'],
  ['object segment', () => regressionMetricsBySegment([1, 2, 3], [1, 2, 3], bad([{}, 'b', 'a'])), 'NOT_NUMERIC', 'segments[0]'],
  ['segments not an array', () => regressionMetricsBySegment([1, 2, 3], [1, 2, 3], bad(null)), 'NOT_NUMERIC', 'segments'],
  // Rows are regrouped by segment internally; the error must name the caller's index.
  ['NaN in a later segment', () => regressionMetricsBySegment([1, 2, 3, 4], [1, 2, NaN, 4], ['b', 'a', 'b', 'a']), 'NON_FINITE', 'yPred[2]'],
]);

/** Bad k values for every @k function. */
const badK: Array<[string, unknown]> = [['0', 0], ['-1', -1], ['1.5', 1.5], ['NaN', NaN], ['Infinity', Infinity], ['"3"', '3'], ['undefined', undefined], ['null', null], ['3n', 3n]];

const atK = (name: string, f: (rel: unknown, ranked: unknown, k: unknown) => unknown): Case[] => [
  ...badK.map(([label, k]): Case => [`k = ${label}`, () => f([1], [1, 2], k), 'INVALID_K', 'k']),
  ['relevant null', () => f(null, [1, 2], 2), 'NOT_NUMERIC', 'relevant'],
  ['relevant a number', () => f(5, [1, 2], 2), 'NOT_NUMERIC', 'relevant'],
  ['relevant item null', () => f([1, null], [1, 2], 2), 'NOT_NUMERIC', 'relevant[1]'],
  ['relevant item an object', () => f(new Set([{}]), [1, 2], 2), 'NOT_NUMERIC', 'relevant[0]'],
  ['negative gain', () => f(new Map([['a', -1]]), ['a'], 1), 'NEGATIVE_VALUE', 'relevant[a] gain'],
  ['NaN gain', () => f(new Map([['a', NaN]]), ['a'], 1), 'NON_FINITE', 'relevant[a] gain'],
  ['Infinity gain in an object', () => f({ a: Infinity }, ['a'], 1), 'NON_FINITE', 'relevant.a gain'],
  ['string gain', () => f({ a: '2' }, ['a'], 1), 'NOT_NUMERIC', 'relevant.a gain'],
  ['ranked null', () => f([1], null, 2), 'NOT_NUMERIC', 'ranked'],
  ['ranked a number', () => f([1], 7, 2), 'NOT_NUMERIC', 'ranked'],
  // Items are numbers or strings; anything else would be silently never relevant.
  ['ranked item null', () => f([1], [null, 1], 2), 'NOT_NUMERIC', 'ranked[0]'],
  ['ranked item undefined', () => f([1], [1, undefined], 2), 'NOT_NUMERIC', 'ranked[1]'],
  ['ranked item an object', () => f([1], [1, {}], 2), 'NOT_NUMERIC', 'ranked[1]'],
].map(([label, ...rest]) => [`${name}: ${label}`, ...rest] as Case);

table('precisionAtK', atK('precisionAtK', (r, l, k) => precisionAtK(bad(r), bad(l), bad(k))));
table('recallAtK', atK('recallAtK', (r, l, k) => recallAtK(bad(r), bad(l), bad(k))));
table('ndcgAtK', [
  ...atK('ndcgAtK', (r, l, k) => ndcgAtK(bad(r), bad(l), bad(k))),
  ['unknown ideal', () => ndcgAtK([1], [1], 1, bad({ ideal: 'best' })), 'INVALID_OPTION', 'options.ideal'],
  ['options null', () => ndcgAtK([1], [1], 1, bad(null)), 'INVALID_OPTION', 'options'],
]);
table('reciprocalRank', atK('reciprocalRank', (r, l) => reciprocalRank(bad(r), bad(l))).filter(([, , code]) => code !== 'INVALID_K'));
table('rankingMetrics', [
  ...badK.map(([label, k]): Case => [`k = ${label}`, () => rankingMetrics([{ relevant: [1], ranked: [1] }], bad(k)), 'INVALID_K', 'k']),
  ['queries empty', () => rankingMetrics([], 3), 'EMPTY_INPUT', 'queries'],
  ['queries null', () => rankingMetrics(bad(null), 3), 'NOT_NUMERIC', 'queries'],
  ['query null', () => rankingMetrics(bad([{ relevant: [1], ranked: [1] }, null]), 3), 'NOT_NUMERIC', 'queries[1]'],
  ['query relevant null', () => rankingMetrics(bad([{ relevant: [1], ranked: [1] }, { relevant: null, ranked: [1] }]), 3), 'NOT_NUMERIC', 'queries[1].relevant'],
  ['query relevant item null', () => rankingMetrics(bad([{ relevant: [1], ranked: [1] }, { relevant: [2, null], ranked: [1] }]), 3), 'NOT_NUMERIC', 'queries[1].relevant[1]'],
  ['query ranked missing', () => rankingMetrics(bad([{ relevant: [1] }, { relevant: [1], ranked: [1] }]), 3), 'NOT_NUMERIC', 'queries[0].ranked'],
  ['query ranked item null', () => rankingMetrics(bad([{ relevant: [1], ranked: [1] }, { relevant: [1], ranked: [2, null] }]), 3), 'NOT_NUMERIC', 'queries[1].ranked[1]'],
  ['unknown ideal', () => rankingMetrics([{ relevant: [1], ranked: [1] }], 1, bad({ ideal: 2 })), 'INVALID_OPTION', 'options.ideal'],
  ['options null', () => rankingMetrics([{ relevant: [1], ranked: [1] }], 1, bad(null)), 'INVALID_OPTION', 'options'],
]);

/** Single-column cases: NaN/Infinity/NOT_NUMERIC and emptiness. */
function columnCases(f: (v: unknown) => unknown, name: string, ok: number[], emptyCode: ErrorCode = 'EMPTY_INPUT'): Case[] {
  const cases: Case[] = [['empty', () => f([]), emptyCode, name]];
  for (const [label, value, code, suffix] of badColumns(ok)) cases.push([label, () => f(value), code, name + suffix]);
  return cases;
}

table('latencyStats', [
  ...columnCases((v) => latencyStats(bad(v)), 'values', [3, 1, 2]),
  ['negative latency', () => latencyStats([3, -1, 2]), 'NEGATIVE_VALUE', 'values[1]'],
  ['negative latency in an Int32Array', () => latencyStats(Int32Array.from([3, 1, -2])), 'NEGATIVE_VALUE', 'values[2]'],
]);
table('latencySla', [
  ...columnCases((v) => latencySla(bad(v)), 'values', [3, 1, 2]).filter(([label]) => label !== 'empty'),
  ['negative latency', () => latencySla([3, -1, 2]), 'NEGATIVE_VALUE', 'values[1]'],
  ['p50 target 0', () => latencySla([1], { p50Ms: 0 }), 'INVALID_OPTION', 'targets.p50Ms'],
  ['p99 target negative', () => latencySla([1], { p99Ms: -5 }), 'INVALID_OPTION', 'targets.p99Ms'],
  ['p99 target NaN', () => latencySla([1], { p99Ms: NaN }), 'INVALID_OPTION', 'targets.p99Ms'],
  ['p50 target a string', () => latencySla([1], bad({ p50Ms: '50' })), 'INVALID_OPTION', 'targets.p50Ms'],
  ['targets null', () => latencySla([1], bad(null)), 'INVALID_OPTION', 'targets'],
]);
table('percentiles', [
  ...columnCases((v) => percentiles(bad(v), [50]), 'values', [3, 1, 2]),
  ['percentile above 100', () => percentiles([1, 2], [50, 101]), 'INVALID_OPTION', 'percentiles[1]'],
  ['percentile below 0', () => percentiles([1, 2], [-1]), 'INVALID_OPTION', 'percentiles[0]'],
  ['percentile NaN', () => percentiles([1, 2], [NaN]), 'INVALID_OPTION', 'percentiles[0]'],
  ['percentile null', () => percentiles([1, 2], bad([50, null])), 'NOT_NUMERIC', 'percentiles[1]'],
  ['percentiles not an array', () => percentiles([1, 2], bad(50)), 'NOT_NUMERIC', 'percentiles'],
]);
table('linearTrend', [
  ...columnCases((v) => linearTrend(bad(v)), 'values', [3, 1, 2], 'TOO_FEW_VALUES'),
  ['one value', () => linearTrend([1]), 'TOO_FEW_VALUES', 'values'],
  ['x length mismatch', () => linearTrend([1, 2, 3], { x: [0, 1] }), 'LENGTH_MISMATCH', 'options.x'],
  ['x NaN', () => linearTrend([1, 2, 3], { x: [0, NaN, 2] }), 'NON_FINITE', 'options.x[1]'],
  ['x null element', () => linearTrend([1, 2, 3], { x: bad([0, 1, null]) }), 'NOT_NUMERIC', 'options.x[2]'],
  ['x all equal', () => linearTrend([1, 2, 3], { x: [4, 4, 4] }), 'INVALID_OPTION', 'options.x'],
  ['alpha 0', () => linearTrend([1, 2, 3], { alpha: 0 }), 'INVALID_OPTION', 'options.alpha'],
  ['alpha 1', () => linearTrend([1, 2, 3], { alpha: 1 }), 'INVALID_OPTION', 'options.alpha'],
  ['alpha NaN', () => linearTrend([1, 2, 3], { alpha: NaN }), 'INVALID_OPTION', 'options.alpha'],
  ['alpha a string', () => linearTrend([1, 2, 3], bad({ alpha: '0.05' })), 'INVALID_OPTION', 'options.alpha'],
  ['options null', () => linearTrend([1, 2, 3], bad(null)), 'INVALID_OPTION', 'options'],
]);
