# abgate gateway image (also runs the demo model variants: `node bin/abgate.js model-server ...`).
#   docker build -t abgate .
#   docker run --rm -p 8080:8080 abgate                # gateway with the example experiments
#   docker compose up --build                          # gateway + Redis + demo models + Prometheus

# ── build: compile TypeScript to dist/ ──────────────────────────────────────────────────────
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script runs tsc, and the sources are not copied yet.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ── runtime: production dependencies, compiled code, example experiments ────────────────────
FROM node:20-slim
ENV NODE_ENV=production \
    PORT=8080 \
    ABGATE_JOURNAL_DIR=/app/data/journal
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY experiments ./experiments
COPY deploy/experiments ./deploy/experiments
# The journal of unsent events lives here; a volume mounted on it inherits this ownership.
RUN mkdir -p /app/data/journal && chown -R node:node /app/data
USER node
EXPOSE 8080
# Liveness of the gateway (the compose file overrides this for the model-server containers).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/abgate.js", "serve"]
