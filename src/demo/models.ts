// Two versions of two tiny logistic scoring models: the demo "model variants" behind the example experiments.
// v2 of each model is parameterised differently (as if retrained), so the arms answer differently.

export type Variant = 'v1' | 'v2';
export const VARIANTS: readonly Variant[] = ['v1', 'v2'];

interface LogisticModel {
  readonly bias: number;
  readonly weights: Readonly<Record<string, number>>;
}

/** name → variant → parameters */
export const MODELS: Readonly<Record<string, Readonly<Record<Variant, LogisticModel>>>> = {
  rank: {
    v1: { bias: -1.2, weights: { query_length: 0.08, position: -0.35, price: -0.01 } },
    v2: { bias: -0.9, weights: { query_length: 0.11, position: -0.42, price: -0.006 } },
  },
  churn: {
    v1: { bias: 0.4, weights: { tenure_months: -0.05, support_tickets: 0.3, monthly_spend: -0.004 } },
    v2: { bias: 0.1, weights: { tenure_months: -0.07, support_tickets: 0.45, monthly_spend: -0.002 } },
  },
};

/** Logistic score of `features` (missing features count as 0; unknown ones are ignored). */
export function score(model: LogisticModel, features: Readonly<Record<string, unknown>>): number {
  let z = model.bias;
  for (const [name, w] of Object.entries(model.weights)) {
    const x = features[name];
    if (typeof x === 'number' && Number.isFinite(x)) z += w * x;
  }
  return 1 / (1 + Math.exp(-z));
}
