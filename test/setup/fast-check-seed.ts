// Property tests run with one fixed seed, so a run is repeatable and its figures (e.g. how many cases a
// property checked) do not vary between runs. FC_SEED=<n> explores another part of the input space.
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261128) });
