/**
 * Public entry of the plans folder: stubs (`bps`), preprocessors (`bpp`),
 * standard plans, trajectory patterns and the by-name plan registry.
 * @module
 */
export * from './stubs.js';
export * from './preprocessors.js';
export {
  type CountOptions, type LogScanOptions, type ScanNdOptions, type ScanOptions,
  PLAN_PATTERNS_MODULE, count, listScan, logScan, relListScan, relLogScan, relScan, scan, scanNd,
} from './plans.js';
export { type GridScanOptions, gridScan, relGridScan } from './grid-scan.js';
export { type Md, type PerShot, type PerStep, type PerStep1D, type PerStepND, perStep1d } from './plan-helpers.js';
export {
  type Cycler, type GridChunk, type OuterProductArgsPattern, type Point,
  chunkOuterProductArgs, classifyOuterProductArgsPattern, cycler, cyclerAdd, cyclerMul, innerListProduct, innerProduct,
  lazyCycler, linspace, linspaceAt, linspaceCycler, logspace, outerProduct, snakeCyclers,
} from './plan-patterns.js';
export {
  type JsonSchema, type ParamError, type PlanDescriptor, type PlanParams,
  STANDARD_PLANS, getPlanDescriptor, standardPlans, validatePlanParams,
} from './registry.js';
export {
  type ParamValidator, MAX_REPORTED_ERRORS, compileParamValidator, nonFiniteErrors, describeSchema, describeValue, deviceProblem, didYouMean, editDistance,
  paramName, pointer, suggest,
} from './param-validation.js';
export { startMetadataProblems } from './registry-args.js';
export { DEFAULT_MAX_POINTS, DEFAULT_PLAN_LIMITS, MAX_AXES, MAX_DETECTORS, type PlanLimits, planLimits } from './limits.js';
export { allSafeRewind, ancestry, deviceRepr, getHintedFields, rootAncestor } from './utils.js';
