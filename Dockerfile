# abgate gateway image (also runs the demo model variants: `node bin/abgate.js model-server ...`).
#   docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD) -t abgate .
#   docker compose up --build                              # gateway + Redis + demo models + Prometheus
#   docker run --rm -p 127.0.0.1:8080:8080 abgate node bin/abgate.js start   # all in one container
# The default experiments (ABGATE_EXPERIMENTS=/app/deploy/experiments) reach the demo models as the
# compose services model-v1 and model-v2; set ABGATE_MODEL_V1_HOST / ABGATE_MODEL_V2_HOST (and
# _PORT) to point them elsewhere, or mount your own folder and set ABGATE_EXPERIMENTS.
#
# Node 24 LTS (maintained until April 2028; Node 20 reached its end of life in April 2026). The
# package itself still supports Node >= 20.19 (package.json engines) for those who run it directly.

# ── build: compile TypeScript to dist/ ──────────────────────────────────────────────────────
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script runs tsc, and the sources are not copied yet.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ── runtime: production dependencies, compiled code, example experiments ────────────────────
FROM node:24-slim
# The commit the image is built from, for `abgate --version` and the abgate_build_info metric.
ARG GIT_COMMIT=""
LABEL org.opencontainers.image.revision="${GIT_COMMIT}"
ENV NODE_ENV=production \
    PORT=8080 \
    ABGATE_EXPERIMENTS=/app/deploy/experiments \
    ABGATE_JOURNAL_DIR=/app/data/journal
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY experiments ./experiments
COPY deploy/experiments ./deploy/experiments
RUN if [ -n "$GIT_COMMIT" ]; then echo "$GIT_COMMIT" > REVISION; fi
# The journal of unsent events lives here; a volume mounted on it inherits this ownership.
RUN mkdir -p /app/data/journal && chown -R node:node /app/data
USER node
EXPOSE 8080
# Liveness of the gateway (the compose file overrides this for the model-server containers).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/abgate.js", "serve"]
