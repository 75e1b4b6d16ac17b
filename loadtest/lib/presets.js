// The example experiments the load tests know how to drive: route, arms, request body, metrics.
// They mirror experiments/*.yaml (and the compose copies in deploy/experiments/);
// test/deploy/compose.test.ts fails when they drift apart.

export const PRESETS = {
  'ranker-v2': {
    route: '/models/ranker/predict',
    control: 'control',
    weights: 'control=1,treatment=1',
    traffic: 100,
    /** Outcome metrics the experiment tracks, with their type. */
    metrics: { click: 'binomial', revenue: 'continuous' },
  },
  'churn-model': {
    route: '/models/churn/predict',
    control: 'control',
    weights: 'control=2,candidate=1',
    traffic: 100,
    metrics: { retained: 'binomial', support_minutes: 'continuous' },
  },
};

/** The preset whose route is `route` (its name and settings), or undefined. */
export function presetForRoute(route) {
  for (const name of Object.keys(PRESETS)) {
    if (PRESETS[name].route === route) return { name, preset: PRESETS[name] };
  }
  return undefined;
}

/** A prediction request body for the experiment's model (random but realistic features). */
export function predictionBody(experiment) {
  if (experiment === 'churn-model') {
    return {
      features: {
        tenure_months: 1 + Math.floor(Math.random() * 72),
        support_tickets: Math.floor(-Math.log(1 - Math.random()) * 2),
        monthly_spend: Math.round((15 + Math.random() * 85) * 100) / 100,
      },
    };
  }
  return {
    features: {
      query_length: 1 + Math.floor(Math.random() * 8),
      position: 1 + Math.floor(Math.random() * 20),
      price: Math.round((5 + Math.random() * 95) * 100) / 100,
    },
  };
}

/** A positive, right-skewed amount: log-normal with median `median` and log-sd `sigma`. */
export function logNormal(median, sigma) {
  // Box–Muller.
  const u = 1 - Math.random();
  const v = Math.random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.round(median * Math.exp(sigma * z) * 100) / 100;
}

/**
 * Outcome events of one exposed user for any experiment, from its metrics as the gateway lists
 * them ({ name: 'binomial' | 'continuous' }): a binomial metric converts for ~12% of users,
 * a continuous one has a log-normal value for ~30% of them.
 */
export function genericOutcomes(metrics) {
  const events = [];
  for (const name of Object.keys(metrics)) {
    if (metrics[name] === 'binomial') events.push({ metric: name, value: Math.random() < 0.12 ? 1 : 0 });
    else if (Math.random() < 0.3) events.push({ metric: name, value: logNormal(10, 0.8) });
  }
  return events;
}

/**
 * The outcome events one exposed user produces, without ids: [{ metric, value }].
 * ranker-v2: a click (1 or 0, ~12% click-through) and, for some clickers, revenue.
 * churn-model: retained (1 or 0, ~80%) and, for users who called support, support_minutes.
 */
export function userOutcomes(experiment) {
  if (experiment === 'churn-model') {
    const events = [{ metric: 'retained', value: Math.random() < 0.8 ? 1 : 0 }];
    if (Math.random() < 0.25) events.push({ metric: 'support_minutes', value: logNormal(12, 0.7) });
    return events;
  }
  const clicked = Math.random() < 0.12;
  const events = [{ metric: 'click', value: clicked ? 1 : 0 }];
  if (clicked && Math.random() < 0.3) events.push({ metric: 'revenue', value: logNormal(25, 0.8) });
  return events;
}
