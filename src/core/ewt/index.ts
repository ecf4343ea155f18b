/** Estimated wait time (Q5): the per-queue estimator and accuracy scoring. */
export * from './wait-estimator.js'
export * from './accuracy.js'
