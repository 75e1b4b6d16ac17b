// k6 `options` shared by both scripts: one scenario (named after SCENARIO) running `exec`.

/**
 * @param {string} name scenario name (the SCENARIO setting)
 * @param {string} exec exported function the scenario runs
 * @param {object} shape executor settings: executor, rate/stages, duration, timeUnit…
 * @param {{ preAllocatedVUs: number, maxVUs: number }} vus
 * @param {Record<string, string[]>} thresholds
 */
export function scenarioOptions(name, exec, shape, vus, thresholds) {
  return {
    scenarios: {
      [name]: Object.assign(
        { exec, preAllocatedVUs: vus.preAllocatedVUs, maxVUs: vus.maxVUs, gracefulStop: '10s' },
        shape,
      ),
    },
    thresholds,
    // Response bodies are discarded unless a request asks for its body with responseType.
    discardResponseBodies: true,
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
  };
}
