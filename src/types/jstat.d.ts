// Minimal typings for the parts of jstat that abgate uses (the package ships none).
// jstat is CommonJS: under Node ESM only its default export (module.exports) is visible.
declare module 'jstat' {
  interface ContinuousDistribution {
    cdf(x: number, ...params: number[]): number;
    inv(p: number, ...params: number[]): number;
    pdf(x: number, ...params: number[]): number;
  }
  interface JStat {
    normal: ContinuousDistribution;
    studentt: ContinuousDistribution;
    chisquare: ContinuousDistribution;
    beta: ContinuousDistribution;
    gamma: ContinuousDistribution;
    centralF: ContinuousDistribution;
  }
  const jstat: { jStat: JStat };
  export default jstat;
}
